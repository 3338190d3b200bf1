#!/usr/bin/env node
/**
 * Extracts the GitHub REST operations the action calls, and the webhook payloads its tests
 * replay, into small committed fixtures. GitHub's full OpenAPI description is about 400 MB
 * unpacked: the tests only need a few operations, so the big packages are installed outside
 * the project when the fixtures are refreshed and never become dependencies.
 *
 *   npm install --no-save --prefix .tmp/github-spec @octokit/openapi @octokit/webhooks-examples
 *   node scripts/extract-openapi.mjs .tmp/github-spec/node_modules
 *
 * Writes test/fixtures/github/openapi-subset.json and test/fixtures/github/events/*.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** Every operation src/github calls. Keep in step with src/github/*.ts. */
export const OPERATIONS = [
  ['get', '/repos/{owner}/{repo}/compare/{basehead}'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/labels'],
  ['get', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['patch', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['delete', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/comments'],
  ['delete', '/repos/{owner}/{repo}/pulls/comments/{comment_id}'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews'],
  ['put', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}'],
  ['delete', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}'],
  ['post', '/repos/{owner}/{repo}/statuses/{sha}'],
];

/** Webhook payloads the e2e tests replay: [event name, action or undefined, fixture name]. */
const EVENTS = [
  ['pull_request', 'opened', 'pull_request.opened'],
  ['pull_request', 'synchronize', 'pull_request.synchronize'],
  ['pull_request', 'labeled', 'pull_request.labeled'],
  ['merge_group', 'checks_requested', 'merge_group.checks_requested'],
  ['push', undefined, 'push'],
  ['workflow_dispatch', undefined, 'workflow_dispatch'],
];

/** Response bodies the tests' server must imitate faithfully: the action reads these fields. */
const RESPONSES_KEPT = new Set([
  'get /repos/{owner}/{repo}/issues/{issue_number}/labels',
  'get /repos/{owner}/{repo}/issues/{issue_number}/comments',
  'get /repos/{owner}/{repo}/pulls/{pull_number}/comments',
  'get /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
  'put /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}',
  'get /repos/{owner}/{repo}/compare/{basehead}',
]);

function main() {
  const modules = path.resolve(process.argv[2] ?? 'node_modules');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const out = path.join(root, 'test/fixtures/github');

  const specPath = path.join(modules, '@octokit/openapi/generated/api.github.com.deref.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8'));
  const specVersion = JSON.parse(
    readFileSync(path.join(modules, '@octokit/openapi/package.json'), 'utf8'),
  ).version;
  const operations = {};
  for (const [method, template] of OPERATIONS) {
    const op = spec.paths[template]?.[method];
    if (!op) throw new Error(`${method.toUpperCase()} ${template} is not in ${specPath}`);
    const key = `${method} ${template}`;
    const responses = {};
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const schema = response.content?.['application/json']?.schema;
      responses[status] = RESPONSES_KEPT.has(key) && schema && /^2/.test(status) ? { schema } : {};
    }
    operations[key] = {
      operationId: op.operationId,
      parameters: (op.parameters ?? []).map((p) => ({
        name: p.name,
        in: p.in,
        required: Boolean(p.required),
        schema: p.schema,
      })),
      requestBody: op.requestBody?.content?.['application/json']
        ? {
            required: Boolean(op.requestBody.required),
            schema: op.requestBody.content['application/json'].schema,
          }
        : undefined,
      responses,
    };
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'openapi-subset.json'),
    JSON.stringify({ source: `@octokit/openapi ${specVersion} api.github.com`, operations }, null, 1) + '\n',
  );

  const examplesPkg = path.join(modules, '@octokit/webhooks-examples');
  const examplesVersion = JSON.parse(readFileSync(path.join(examplesPkg, 'package.json'), 'utf8')).version;
  const webhooks = JSON.parse(readFileSync(path.join(examplesPkg, 'api.github.com/index.json'), 'utf8'));
  mkdirSync(path.join(out, 'events'), { recursive: true });
  for (const [name, action, file] of EVENTS) {
    const examples = webhooks.find((w) => w.name === name)?.examples ?? [];
    const example = examples.find((e) => action === undefined || e.action === action);
    if (!example)
      throw new Error(`no ${name}${action ? `.${action}` : ''} example in @octokit/webhooks-examples`);
    writeFileSync(path.join(out, 'events', `${file}.json`), JSON.stringify(example, null, 2) + '\n');
  }
  writeFileSync(
    path.join(out, 'events', 'SOURCE'),
    `Payloads from @octokit/webhooks-examples ${examplesVersion} (MIT), extracted by scripts/extract-openapi.mjs.\n`,
  );
}

main();
