// The Orders API's settings, from the environment; a missing or bad one stops the start with its name.

export interface OrdersConfig {
  issuer: string;
  resource: string;
  clientId: string;
  clientSecret: string;
  port: number;
  /** Unset: the library's default (docs/protect-your-api.md). */
  cacheSeconds: number | undefined;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set (see examples/orders-api/README.md)`);
  return value;
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number | undefined): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number`);
  return Number(value);
}

export function loadConfig(env: NodeJS.ProcessEnv): OrdersConfig {
  return {
    issuer: required(env, 'LATCHKEY_ISSUER'),
    resource: env.ORDERS_RESOURCE || 'https://orders.example.com',
    clientId: required(env, 'INTROSPECTION_CLIENT_ID'),
    clientSecret: required(env, 'INTROSPECTION_CLIENT_SECRET'),
    port: whole(env, 'PORT', 4000)!,
    cacheSeconds: whole(env, 'INTROSPECTION_CACHE_SECONDS', undefined),
  };
}
