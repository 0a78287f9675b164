/**
 * Every worker metric (namespace Warden, dimension Mode) the synthesized alarms and dashboard
 * read, with the mode each reads it for: derived from the template, so a metric added to an
 * alarm or widget joins the list without anyone writing it down. The EMF test
 * (test/integration/worker-emitted-metrics.test.ts) runs the real worker and requires every one.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { METRICS_NAMESPACE, METRIC_DIMENSIONS, WORKER_MODES, type WorkerMode } from '@warden/core';
import { render } from './synth.js';

export interface WorkerMetricUse {
  metric: string;
  mode: WorkerMode;
}

interface MetricStat {
  Metric: {
    MetricName: string;
    Namespace: string;
    Dimensions?: { Name: string; Value: unknown }[];
  };
}

export function workerMetricUses(template: Template): WorkerMetricUse[] {
  const uses = new Map<string, WorkerMetricUse>();
  const add = (metric: string, mode: unknown) => {
    if (!WORKER_MODES.includes(mode as WorkerMode)) return;
    uses.set(`${metric}/${String(mode)}`, { metric, mode: mode as WorkerMode });
  };
  const modeOf = (dimensions: { Name: string; Value: unknown }[] | undefined) =>
    dimensions?.find((d) => d.Name === METRIC_DIMENSIONS.mode)?.Value;

  for (const resource of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
    const alarm = resource.Properties as {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: { Name: string; Value: unknown }[];
      Metrics?: { MetricStat?: MetricStat }[];
    };
    if (alarm.Namespace === METRICS_NAMESPACE && alarm.MetricName) {
      add(alarm.MetricName, modeOf(alarm.Dimensions));
    }
    for (const { MetricStat: stat } of alarm.Metrics ?? []) {
      if (stat?.Metric.Namespace === METRICS_NAMESPACE) {
        add(stat.Metric.MetricName, modeOf(stat.Metric.Dimensions));
      }
    }
  }

  for (const resource of Object.values(template.findResources('AWS::CloudWatch::Dashboard'))) {
    const body = JSON.parse(render(resource.Properties.DashboardBody, new Map())) as {
      widgets: { properties?: { metrics?: unknown[][] } }[];
    };
    for (const widget of body.widgets) {
      for (const line of widget.properties?.metrics ?? []) {
        // [namespace, name, dim, value, ..., options?] or [{ expression }]
        if (line[0] === METRICS_NAMESPACE && typeof line[1] === 'string') {
          const at = line.indexOf(METRIC_DIMENSIONS.mode);
          if (at > 1) add(line[1], line[at + 1]);
        }
        const expression = (line[0] as { expression?: string } | undefined)?.expression;
        const search = expression && /SEARCH\('\{([^}]*)\} MetricName="([^"]+)"'/.exec(expression);
        if (search) {
          const [namespace, ...dimensions] = search[1]!.split(',');
          // A search over the Mode dimension finds the series of every mode.
          if (namespace === METRICS_NAMESPACE && dimensions.includes(METRIC_DIMENSIONS.mode)) {
            for (const mode of WORKER_MODES) add(search[2]!, mode);
          }
        }
      }
    }
  }
  return [...uses.values()].sort(
    (a, b) => a.metric.localeCompare(b.metric) || a.mode.localeCompare(b.mode),
  );
}
