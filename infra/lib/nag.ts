/**
 * cdk-nag acknowledgements. Every one carries the reason the finding does not apply or is
 * accepted; an acknowledgement covers the construct it is attached to and everything below it.
 *
 * Granular rules (IAM4, IAM5) report one finding per wildcard or managed policy, named by the
 * resolved resource string, which depends on logical ids and on whether the account and region
 * are known at synth. `acknowledgeIamFindings` therefore evaluates cdk-nag's own rules on the
 * policies under a scope and acknowledges each finding that matches a pattern with its reason;
 * a finding no pattern explains stays unacknowledged and fails the synth.
 */
import { CfnResource, Validations } from 'aws-cdk-lib';
import { rules } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgement {
  /** Rule id, or `RuleId[Finding]` for one finding of a granular rule. */
  id: string;
  reason: string;
}

export function acknowledge(scope: IConstruct, ...items: NagAcknowledgement[]): void {
  for (const item of items) {
    if (item.reason.trim().length < 20) {
      throw new Error(`cdk-nag acknowledgement ${item.id} needs a real reason`);
    }
    Validations.of(scope).acknowledge({ id: item.id, reason: item.reason });
  }
}

export interface FindingReason {
  /** Matches a finding such as `Resource::arn:...:table/x/index/*` or `Action::kms:GenerateDataKey*`. */
  finding: RegExp;
  reason: string;
}

type GranularRule = (node: CfnResource) => unknown;

const GRANULAR_RULES: [string, GranularRule][] = [
  ['AwsSolutions-IAM4', rules.iam.IAMNoManagedPolicies as unknown as GranularRule],
  ['AwsSolutions-IAM5', rules.iam.IAMNoWildcardPermissions as unknown as GranularRule],
];

/** Acknowledges each IAM4/IAM5 finding under `scope` that one of `reasons` explains. */
export function acknowledgeIamFindings(scope: IConstruct, reasons: FindingReason[]): void {
  const visit = (node: IConstruct) => {
    if (CfnResource.isCfnResource(node)) {
      for (const [ruleId, rule] of GRANULAR_RULES) {
        const findings = rule(node);
        if (!Array.isArray(findings)) continue;
        for (const finding of findings as string[]) {
          const match = reasons.find((candidate) => candidate.finding.test(finding));
          if (match) acknowledge(node, { id: `${ruleId}[${finding}]`, reason: match.reason });
        }
      }
    }
    node.node.children.forEach(visit);
  };
  visit(scope);
}
