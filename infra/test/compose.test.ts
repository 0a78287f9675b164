/**
 * localstack-compose.yml: parses as Compose YAML, offers LocalStack and a free emulator as
 * profiles on the endpoint the README documents, pins both images, and takes the LocalStack auth
 * token from the environment only. (No Docker engine runs here: starting the emulators is not
 * tested.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../lib/paths.js';

interface Service {
  profiles: string[];
  image: string;
  ports: string[];
  environment: Record<string, string>;
  healthcheck: { test: string[] };
}

const text = readFileSync(join(REPO_ROOT, 'localstack-compose.yml'), 'utf8');
const compose = parse(text) as { services: Record<string, Service> };

describe('localstack-compose.yml', () => {
  it('offers LocalStack and MiniStack, each behind its own profile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['localstack', 'ministack']);
    expect(compose.services.localstack!.profiles).toEqual(['localstack']);
    expect(compose.services.ministack!.profiles).toEqual(['ministack']);
  });

  it('pins every image to a version', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image, name).toMatch(/:\d+\.\d+\.\d+$/);
    }
  });

  it('passes the LocalStack auth token from the environment and stores none', () => {
    expect(compose.services.localstack!.environment.LOCALSTACK_AUTH_TOKEN).toBe(
      '${LOCALSTACK_AUTH_TOKEN:-}',
    );
    expect(text).not.toMatch(/ls-[A-Za-z0-9]{8,}/);
  });

  it('serves both on 127.0.0.1:4566, the AWS_ENDPOINT_URL the docs give', () => {
    for (const service of Object.values(compose.services)) {
      expect(service.ports).toEqual(['127.0.0.1:4566:4566']);
      expect(service.healthcheck.test.length).toBeGreaterThan(1);
    }
    const docs = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    expect(docs).toContain('AWS_ENDPOINT_URL=http://127.0.0.1:4566');
    expect(docs).toContain('--profile ministack');
    expect(docs).toContain('--profile localstack');
  });
});
