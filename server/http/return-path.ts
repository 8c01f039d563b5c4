// Where to go back to after signing in (or in again): a path of the portal only. One leading slash
// (never `//` or `/\`, which browsers read as another host), no scheme, under /portal.

export function safeReturnPath(value: unknown, fallback = '/portal'): string {
  if (typeof value !== 'string' || value.length > 300) return fallback;
  if (value.includes('//') || value.includes('\\') || value.includes('..')) return fallback;
  return /^\/portal(\/[\w\-/.]*)?(\?[\w\-=&%.]*)?$/.test(value) ? value : fallback;
}
