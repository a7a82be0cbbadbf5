import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordedCall = Readonly<{ method: string; path: string; query: Record<string, string>; body: Record<string, unknown> | null }>;

/** A reply given as is (a proxy's HTML page): its status, content type and body. */
export type RawReply = Readonly<{ status: number; contentType: string; body: string }>;

type KeyValue = Readonly<{ key: string; value: string }>;

/**
 * A local MLflow tracking server for tests: the REST endpoints the retraining tracker uses, kept
 * in memory, every call recorded. `failAll` makes every request answer HTTP 500; `failing` holds
 * the endpoints (`'POST runs/log-batch'`) that answer HTTP 500 while the rest work; `raw` the
 * endpoints answered with a reply of their own. Like MLflow, `runs/log-batch` refuses (HTTP 400
 * INVALID_PARAMETER_VALUE) more than 1000 metrics, 100 params or 100 tags (1000 in all), a param
 * value over 6000 characters, and a param logged again with another value; `params` holds each
 * run's params.
 */
export async function startMlflowServer(): Promise<{
  url: string;
  calls: RecordedCall[];
  failAll: { on: boolean };
  failing: Set<string>;
  raw: Map<string, RawReply>;
  params: Map<string, Map<string, string>>;
  close(): Promise<void>;
}> {
  const calls: RecordedCall[] = [];
  const failAll = { on: false };
  const failing = new Set<string>();
  const raw = new Map<string, RawReply>();
  const params = new Map<string, Map<string, string>>();
  const experiments = new Map<string, string>();
  const models = new Set<string>();
  const versions = new Map<string, number>();
  let runs = 0;
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const path = u.pathname.replace('/api/2.0/mlflow/', '');
      const body = text === '' ? null : (JSON.parse(text) as Record<string, unknown>);
      calls.push({ method: req.method ?? '?', path, query: Object.fromEntries(u.searchParams), body });
      const send = (status: number, j: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(j));
      };
      if (failAll.on || failing.has(`${req.method} ${path}`)) return send(500, { error_code: 'INTERNAL_ERROR', message: 'down for the test' });
      const own = raw.get(`${req.method} ${path}`);
      if (own !== undefined) {
        res.writeHead(own.status, { 'content-type': own.contentType });
        return res.end(own.body);
      }
      const invalid = (message: string): void => send(400, { error_code: 'INVALID_PARAMETER_VALUE', message });
      switch (`${req.method} ${path}`) {
        case 'GET experiments/get-by-name': {
          const id = experiments.get(u.searchParams.get('experiment_name') ?? '');
          return id === undefined ? send(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no such experiment' }) : send(200, { experiment: { experiment_id: id, name: u.searchParams.get('experiment_name') } });
        }
        case 'POST experiments/create': {
          const id = String(experiments.size + 1);
          experiments.set(String(body?.['name']), id);
          return send(200, { experiment_id: id });
        }
        case 'POST runs/create':
          return send(200, { run: { info: { run_id: `run${++runs}`, experiment_id: body?.['experiment_id'] } } });
        case 'POST runs/log-batch': {
          const ps = (body?.['params'] ?? []) as KeyValue[];
          const ms = (body?.['metrics'] ?? []) as unknown[];
          const ts = (body?.['tags'] ?? []) as unknown[];
          if (ms.length > 1000 || ps.length > 100 || ts.length > 100 || ms.length + ps.length + ts.length > 1000) return invalid(`too many entities: ${ms.length} metrics, ${ps.length} params, ${ts.length} tags`);
          const long = ps.find((p) => p.value.length > 6000);
          if (long !== undefined) return invalid(`param '${long.key}' has a value of ${long.value.length} characters, more than 6000`);
          const run = params.get(String(body?.['run_id'])) ?? new Map<string, string>();
          const changed = ps.find((p) => run.has(p.key) && run.get(p.key) !== p.value);
          if (changed !== undefined) return invalid(`Changing param values is not allowed. Param with key='${changed.key}' was already logged with value='${run.get(changed.key)}'; new value '${changed.value}'`);
          for (const p of ps) run.set(p.key, p.value);
          params.set(String(body?.['run_id']), run);
          return send(200, {});
        }
        case 'POST runs/update':
          return send(200, {});
        case 'POST registered-models/create': {
          const name = String(body?.['name']);
          if (models.has(name)) return send(400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: 'exists' });
          models.add(name);
          return send(200, { registered_model: { name } });
        }
        case 'POST model-versions/create': {
          const name = String(body?.['name']);
          const v = (versions.get(name) ?? 0) + 1;
          versions.set(name, v);
          return send(200, { model_version: { name, version: String(v) } });
        }
        default:
          return send(404, { error_code: 'ENDPOINT_NOT_FOUND', message: path });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, calls, failAll, failing, raw, params, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
