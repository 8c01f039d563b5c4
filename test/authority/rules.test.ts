// The authority rule (server/authority/rules.ts) as a table: every actor kind, every action, targets
// inside and outside the actor's account, environment and scopes.
import { expect } from 'chai';
import type { User } from '../../adapters/contract.ts';
import { actorOfPrincipal, actorOfSession, OPERATOR } from '../../server/authority/identify.ts';
import { decide, type Action, type Actor, type Refusal, type Target } from '../../server/authority/rules.ts';

const account = 'acct_a';
const userOf = (id: string, emailVerifiedAt: Date | undefined): User => ({
  id, accountId: account, email: `${id}@example.com`, passwordHash: 'h', createdAt: new Date(), emailVerifiedAt, totp: undefined, recoveryCodes: [], role: 'owner',
});
const scopes = (...names: string[]) => new Set(names);

const ACTORS: Record<string, Actor> = {
  operator: OPERATOR,
  user: actorOfSession({ accountId: account, userId: 'user_1', user: userOf('user_1', new Date()) }),
  unverified_user: actorOfSession({ accountId: account, userId: 'user_2', user: userOf('user_2', undefined) }),
  api_key: actorOfPrincipal({
    accountId: account, environment: 'test', scopes: scopes('read:clients', 'write:clients', 'read:api_keys', 'write:api_keys', 'read:contacts'),
    credential: { kind: 'api_key', id: 'key_1' },
  }),
  client: actorOfPrincipal({
    accountId: account, environment: 'test', scopes: scopes('read:clients', 'read:contacts'),
    credential: { kind: 'access_token', id: 'jti', tokenId: 'jti', clientId: 'client_1', subject: 'client_1', grantId: undefined },
  }),
  delegated: actorOfPrincipal({
    accountId: account, environment: 'test', scopes: scopes('write:clients', 'read:clients', 'read:contacts', 'read:billing'),
    credential: { kind: 'access_token', id: 'jti', tokenId: 'jti', clientId: 'client_2', subject: 'user_9', grantId: 'grant_1' },
  }),
};

const TARGETS: Record<string, Target> = {
  narrow: { accountId: account, environment: 'test', scopes: ['read:contacts'] },
  wide: { accountId: account, environment: 'test', scopes: ['read:contacts', 'read:billing'] },
  live: { accountId: account, environment: 'live', scopes: [] },
  other_account: { accountId: 'acct_b', environment: 'test', scopes: [] },
};

const read = (resource: Action['resource']): Action => ({ resource, verb: 'read' });
const write = (resource: Action['resource']): Action => ({ resource, verb: 'write' });

type Expected = Refusal['code'] | 'allowed';

// [actor, action, target, expected]
const TABLE: Array<[string, Action, string | undefined, Expected]> = [
  ['operator', write('clients'), 'wide', 'allowed'],
  ['operator', write('clients'), 'other_account', 'allowed'],
  ['operator', read('audit'), undefined, 'allowed'],
  ['user', write('clients'), 'wide', 'allowed'],
  ['user', write('api_keys'), 'live', 'allowed'],
  ['user', read('audit'), undefined, 'allowed'],
  ['user', write('clients'), 'other_account', 'not_found'],
  // Rule 5 (issue 22): an unconfirmed address changes nothing live, reads it and works in test.
  ['unverified_user', write('api_keys'), 'live', 'email_unverified'],
  ['unverified_user', write('clients'), 'live', 'email_unverified'],
  ['unverified_user', read('api_keys'), 'live', 'allowed'],
  ['unverified_user', write('api_keys'), 'narrow', 'allowed'],
  ['unverified_user', write('clients'), 'other_account', 'not_found'],
  ['api_key', write('clients'), 'narrow', 'allowed'],
  ['api_key', write('clients'), 'wide', 'forbidden'],
  ['api_key', read('clients'), 'wide', 'forbidden'],
  ['api_key', write('api_keys'), 'narrow', 'allowed'],
  ['api_key', write('api_keys'), 'wide', 'forbidden'],
  ['api_key', write('clients'), 'live', 'not_found'],
  ['api_key', write('clients'), 'other_account', 'not_found'],
  ['api_key', read('audit'), undefined, 'insufficient_scope'],
  ['api_key', write('webhooks'), 'narrow', 'insufficient_scope'],
  ['client', read('clients'), 'narrow', 'allowed'],
  ['client', write('clients'), 'narrow', 'insufficient_scope'],
  ['client', read('api_keys'), 'narrow', 'insufficient_scope'],
  ['client', read('clients'), 'wide', 'forbidden'],
  ['delegated', write('clients'), 'wide', 'allowed'],
  ['delegated', write('api_keys'), 'narrow', 'insufficient_scope'],
  ['delegated', write('clients'), 'live', 'not_found'],
];

describe('the authority rule', () => {
  for (const [actor, action, target, expected] of TABLE) {
    it(`${actor} ${action.verb} ${action.resource}${target ? ` on a ${target} target` : ''}: ${expected}`, () => {
      const refusal = decide(ACTORS[actor]!, action, target ? TARGETS[target] : undefined);
      expect(refusal?.code ?? 'allowed').to.equal(expected);
    });
  }

  it('names what a credential lacks', () => {
    expect(decide(ACTORS.api_key!, write('clients'), TARGETS.wide)).to.deep.equal({ code: 'forbidden', missing: ['read:billing'] });
    expect(decide(ACTORS.client!, write('clients'))).to.deep.equal({ code: 'insufficient_scope', scope: 'write:clients' });
  });

  it('names each actor as audit events do', () => {
    expect([ACTORS.operator!.name, ACTORS.user!.name, ACTORS.api_key!.name, ACTORS.client!.name, ACTORS.delegated!.name]).to.deep.equal([
      'operator', 'user:user_1', 'api_key:key_1', 'client:client_1', 'user:user_9 via client:client_2',
    ]);
  });
});
