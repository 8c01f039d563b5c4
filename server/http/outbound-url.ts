// Where Latchkey's own outbound requests may go: webhook deliveries and client ID metadata documents.
// A URL aimed at a cloud metadata service, a private network or our own host would let an outsider
// reach what only we can reach (SSRF). Refused by literal address in every environment and, in
// production, by every address the host name resolves to; a request connects to the address checked
// (resolveTarget, then pinned), so a second resolution cannot send it elsewhere (DNS rebinding).
// Loopback is allowed outside production, so tests and local development work. node:net's BlockList
// does the CIDR matching (it also matches IPv4 rules against IPv4-mapped IPv6 addresses such as
// ::ffff:169.254.169.254).
import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { LatchkeyError } from '../../config/errors.ts';

type Family = 'ipv4' | 'ipv6';
type Range = readonly [address: string, prefix: number];

/** Non-public IPv4 ranges, by what they are (the first match names the address in the error). */
const IPV4: Record<string, Range[]> = {
  loopback: [['127.0.0.0', 8]],
  'cloud metadata': [['169.254.169.254', 32], ['100.100.100.200', 32], ['168.63.129.16', 32]],
  private: [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]],
  'carrier-grade NAT': [['100.64.0.0', 10]],
  'link-local': [['169.254.0.0', 16]],
  unspecified: [['0.0.0.0', 8]],
  documentation: [['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24]],
  // IETF protocol assignments, the old 6to4 relay anycast, benchmarking, and 240/4 (with broadcast).
  reserved: [['192.0.0.0', 24], ['192.88.99.0', 24], ['198.18.0.0', 15], ['240.0.0.0', 4]],
  multicast: [['224.0.0.0', 4]],
};

const IPV6: Record<string, Range[]> = {
  loopback: [['::1', 128]],
  'cloud metadata': [['fd00:ec2::254', 128]],
  private: [['fc00::', 7], ['fec0::', 10]],
  'link-local': [['fe80::', 10]],
  unspecified: [['::', 128]],
  documentation: [['2001:db8::', 32], ['3fff::', 20]],
  // IPv4-compatible, IPv4-translated (SIIT, never routed), local-use NAT64, discard-only, Teredo
  // (2001::/32, which embeds IPv4 addresses) within the IETF protocol assignments (2001::/23), SRv6
  // segment identifiers.
  reserved: [['::', 96], ['::ffff:0:0:0', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['5f00::', 16]],
  multicast: [['ff00::', 8]],
};

/**
 * An IPv4 range as the IPv6 ranges that embed it and reach the IPv4 host: NAT64 (64:ff9b::/96),
 * 6to4 (2002::/16) and IPv4-translated (::ffff:0:0:0/96). (BlockList matches IPv4-mapped itself.)
 */
function embedded([address, prefix]: Range): Range[] {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  const high = ((a << 8) | b).toString(16);
  const low = ((c << 8) | d).toString(16);
  return [[`64:ff9b::${high}:${low}`, 96 + prefix], [`2002:${high}:${low}::`, 16 + prefix], [`::ffff:0:${high}:${low}`, 96 + prefix]];
}

const CLASSES: { name: string; list: BlockList }[] = [...new Set([...Object.keys(IPV4), ...Object.keys(IPV6)])].map((name) => {
  const list = new BlockList();
  const add = (ranges: Range[], family: Family) => { for (const [address, prefix] of ranges) list.addSubnet(address, prefix, family); };
  add(IPV4[name] ?? [], 'ipv4');
  add(IPV6[name] ?? [], 'ipv6');
  add((IPV4[name] ?? []).flatMap(embedded), 'ipv6');
  return { name, list };
});

/** What kind of non-public address this is, or undefined for a public one. */
export function addressClass(address: string): string | undefined {
  const family: Family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  return CLASSES.find(({ list }) => list.check(address, family))?.name;
}

const LOOKUP_TIMEOUT_MS = 5000;

/** Every address the name resolves to; none when it does not resolve in time. */
async function resolve(host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('timeout')), LOOKUP_TIMEOUT_MS); });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    return found.map((entry) => entry.address);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

function refuse(message: string): never {
  throw new LatchkeyError('validation_failed', `url: ${message}`, { field: 'url' });
}

/**
 * Checks a webhook URL (already a syntactically valid http(s) URL) against where deliveries may
 * go. https only in production; outside it, http to loopback too.
 */
export async function checkWebhookTarget(href: string, production: boolean): Promise<void> {
  const url = new URL(href);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const literal = isIP(host) !== 0;
  const kind = literal ? addressClass(host) : undefined;
  const loopback = kind === 'loopback' || (!literal && host === 'localhost');

  if (url.protocol !== 'https:' && (production || !loopback)) {
    refuse(production ? 'must be an https URL' : 'must be an https URL (http only for localhost)');
  }
  if (kind && !(kind === 'loopback' && !production)) {
    refuse(`${host} is a ${kind} address; webhooks must go to a public internet address`);
  }
  if (!production || literal) return;
  // One message whether the name does not resolve or resolves somewhere internal: the answer must
  // not tell a caller what our resolver knows about internal names.
  const addresses = await resolve(host);
  if (addresses.length === 0 || addresses.some((address) => addressClass(address) !== undefined)) {
    refuse(`${host} must resolve to public internet addresses only (not private, loopback, link-local or cloud metadata ones)`);
  }
}

export interface Target { address: string; family: 4 | 6 }

/** The address to connect to, or why none may be used. */
export async function resolveTarget(url: URL, production: boolean): Promise<Target | string> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true });
    } catch {
      return `the host name ${host} does not resolve`;
    }
  }
  for (const { address } of addresses) {
    const kind = addressClass(address);
    if (kind && !(kind === 'loopback' && !production)) {
      return `refused: ${host} resolves to a ${kind} address; only public internet addresses are reached`;
    }
  }
  const first = addresses[0];
  if (!first) return `the host name ${host} does not resolve`;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** A lookup that answers with the checked address whatever it is asked. */
export function pinned(target: Target): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as (err: null, addresses: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
}
