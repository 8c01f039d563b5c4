// oidc-provider reads its signing keys once, when it is built (its /jwks is that snapshot). When the
// keys change state (a rotation published, a key starting to sign, one retired) a new provider is
// built from the same ordered hooks (provider.ts) and swapped in. Every module keeps the one
// `provider` it was given: a stand-in that forwards to the current instance. Requests in flight
// finish on the instance they began on; the state they share (grants, sessions, interactions) is
// in the store, and the cookie keys are the same.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';

type Callback = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class SwappableProvider {
  readonly #build: () => Provider;
  #current: Provider;
  #callback: Callback;
  /** The stand-in handed to routers and returned by createLatchkey. */
  readonly provider: Provider;

  constructor(build: () => Provider) {
    this.#build = build;
    this.#current = build();
    this.#callback = this.#current.callback();
    this.provider = new Proxy({} as Provider, {
      get: (_target, property) => {
        const value: unknown = Reflect.get(this.#current, property, this.#current);
        // Methods run on the current instance; classes (provider.Grant, provider.Session) and
        // values pass as they are (a bound class would lose its static methods).
        return typeof value === 'function' && !('prototype' in value) ? (value as (...args: unknown[]) => unknown).bind(this.#current) : value;
      },
      set: (_target, property, value) => Reflect.set(this.#current, property, value),
    });
  }

  /** Answers a request with the current instance. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    return this.#callback(req, res);
  }

  /** Builds a new instance (reading the key material as it is now) and sends new requests to it. */
  rebuild(): void {
    const next = this.#build();
    this.#callback = next.callback();
    this.#current = next;
  }
}
