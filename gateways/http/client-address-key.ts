import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address (a dotted IPv4 tail as the last two), or undefined when it does not parse. */
function ipv6Groups(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let a = address.toLowerCase();
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  if (dotted !== null) {
    const [b0, b1, b2, b3] = (dotted[1] as string).split('.').map(Number) as [number, number, number, number];
    a = `${a.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const parse = (s: string | undefined): number[] => (s === undefined || s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The key a client address counts under in the failed-authentication limiter
 * (`auth-failure-limiter.ts`): an IPv4 address as is, an IPv4-mapped IPv6 one (`::ffff:10.0.0.1`)
 * as that IPv4 address (`10.0.0.1`), any other IPv6 address as its /64 (`2001:db8:1:2::/64`). An IPv6 client
 * is handed a whole /64 (SLAAC, privacy addresses) and picks a fresh address in it at will: keyed
 * per address, one client would get 2^64 windows. A zone (`fe80::1%eth0`) is dropped; anything
 * else (a unix socket, `unknown`) is its own key.
 *
 * @example clientAddressKey('2001:db8:1:2:a:b:c:d') // '2001:db8:1:2::/64'
 */
export function clientAddressKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address.replace(/%.*$/, ''));
  if (groups === undefined) return address;
  // ::ffff:a.b.c.d (an IPv4 client on a dual-stack socket), however it is written.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] ?? 0, groups[7] ?? 0];
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
