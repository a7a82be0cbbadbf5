import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, startNatsServer } from './nats-server.js';

/** The NATS server config Sextant ships, with its engine, operator, dashboard and desk users. */
export const SHIPPED_NATS_CONF = fileURLToPath(new URL('../../deploy/nats/sextant.conf', import.meta.url));

/** The users' passwords the shipped config reads from the environment, as the tests set them. */
export const SHIPPED_NATS_PASSWORDS = { SEXTANT_ENGINE_PASSWORD: 'e-secret', SEXTANT_OPERATOR_PASSWORD: 'o-secret', SEXTANT_DASHBOARD_PASSWORD: 'd-secret', SEXTANT_DESK_PASSWORD: 'k-secret' } as const;

/**
 * A nats-server of the test's own with the shipped config on a free port (JetStream stored in
 * `storeDir` when given), and its url; stop it with `stopNatsServer`.
 */
export async function startShippedNatsServer(storeDir?: string): Promise<Readonly<{ server: ChildProcess; url: string }>> {
  const port = await freePort();
  const server = await startNatsServer(port, ['-c', SHIPPED_NATS_CONF, ...(storeDir === undefined ? [] : ['-sd', storeDir])], SHIPPED_NATS_PASSWORDS);
  return { server, url: `nats://127.0.0.1:${port}` };
}
