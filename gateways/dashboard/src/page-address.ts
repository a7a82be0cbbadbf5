/**
 * The page's own address without its `?token=` (the viewer token would otherwise stay in the
 * browser history, bookmarks and screenshots); the other parameters (`?symbols=`) and the hash are
 * kept. Undefined when the address holds no token, so there is nothing to replace.
 *
 * @example addressWithoutToken('http://h:8080/?token=abc&symbols=BTC-USDT#x') // '/?symbols=BTC-USDT#x'
 */
export function addressWithoutToken(href: string): string | undefined {
  const url = new URL(href);
  if (!url.searchParams.has('token')) return undefined;
  url.searchParams.delete('token');
  return `${url.pathname}${url.search}${url.hash}`;
}
