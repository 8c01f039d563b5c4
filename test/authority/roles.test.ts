// The role rules (rules.ts, rules 6 and 7) as a table: for each role, what it may and may not do to
// each resource, with the account's live-credentials policy, and what it may do to members of each
// role. The same table is driven through the portal and the API in test/teams/.
import { expect } from 'chai';
import type { User } from '../../adapters/contract.ts';
import { ROLES, type Role } from '../../config/roles.ts';
import { actorOfPrincipal, actorOfSession } from '../../server/authority/identify.ts';
import { decide, decideMembership, type Action, type Actor, type Target } from '../../server/authority/rules.ts';

const account = 'acct_a';
const member = (role: Role, liveAdminsOnly = false): Actor => {
  const user: User = {
    id: `user_${role}`, accountId: account, email: `${role}@example.com`, passwordHash: 'h', createdAt: new Date(), emailVerifiedAt: new Date(),
    totp: undefined, recoveryCodes: [], role,
  };
  return actorOfSession({ accountId: account, userId: user.id, user, policy: { requireTwoFactor: false, liveAdminsOnly } });
};
const test: Target = { accountId: account, environment: 'test', scopes: [] };
const live: Target = { accountId: account, environment: 'live', scopes: [] };
const act = (resource: Action['resource'], verb: Action['verb']): Action => ({ resource, verb });

/** role -> what it may do: `resource:verb` on a test target. */
const MAY: Record<Role, readonly string[]> = {
  owner: ['api_keys:read', 'api_keys:write', 'clients:read', 'clients:write', 'webhooks:read', 'webhooks:write', 'audit:read', 'members:read', 'members:write'],
  admin: ['api_keys:read', 'api_keys:write', 'clients:read', 'clients:write', 'webhooks:read', 'webhooks:write', 'audit:read', 'members:read', 'members:write'],
  developer: ['api_keys:read', 'api_keys:write', 'clients:read', 'clients:write', 'webhooks:read', 'webhooks:write', 'audit:read', 'members:read'],
  viewer: ['api_keys:read', 'clients:read', 'webhooks:read', 'audit:read', 'members:read'],
};
const RESOURCES = ['api_keys', 'clients', 'webhooks', 'audit', 'members'] as const;

describe('roles (authority rules 6 and 7)', () => {
  for (const role of ROLES) {
    it(`${role}: allowed exactly what the table says`, () => {
      for (const resource of RESOURCES) {
        for (const verb of ['read', 'write'] as const) {
          const allowed = decide(member(role), act(resource, verb), resource === 'members' || resource === 'audit' ? undefined : test) === undefined;
          expect(allowed, `${role} ${resource}:${verb}`).to.equal(MAY[role].includes(`${resource}:${verb}`));
        }
      }
    });
  }

  it('a refusal names the role', () => {
    expect(decide(member('viewer'), act('api_keys', 'write'), test)).to.deep.equal({ code: 'role_forbidden', role: 'viewer', why: 'role' });
  });

  it('with "live credentials for admins", a developer changes test credentials only; owners and admins both', () => {
    for (const resource of ['api_keys', 'clients', 'webhooks'] as const) {
      expect(decide(member('developer', true), act(resource, 'write'), live)).to.deep.equal({ code: 'role_forbidden', role: 'developer', why: 'live_admins_only' });
      expect(decide(member('developer', true), act(resource, 'write'), test)).to.equal(undefined);
      expect(decide(member('developer', true), act(resource, 'read'), live)).to.equal(undefined);
      expect(decide(member('admin', true), act(resource, 'write'), live)).to.equal(undefined);
      expect(decide(member('owner', true), act(resource, 'write'), live)).to.equal(undefined);
      expect(decide(member('developer', false), act(resource, 'write'), live)).to.equal(undefined);
    }
  });

  it('members: owners change anyone; admins everyone but owners; developers and viewers no one', () => {
    for (const from of ROLES) {
      for (const to of ROLES) {
        const change = { accountId: account, from, to };
        expect(decideMembership(member('owner'), change), `owner: ${from} -> ${to}`).to.equal(undefined);
        const adminMay = from !== 'owner' && to !== 'owner';
        expect(decideMembership(member('admin'), change) === undefined, `admin: ${from} -> ${to}`).to.equal(adminMay);
        expect(decideMembership(member('developer'), change)).to.include({ code: 'role_forbidden' });
        expect(decideMembership(member('viewer'), change)).to.include({ code: 'role_forbidden' });
      }
    }
    expect(decideMembership(member('owner'), { accountId: 'acct_b', to: 'viewer' })).to.deep.equal({ code: 'not_found' });
  });

  it('no credential manages members, whatever its scopes; read:members reads them', () => {
    const key = actorOfPrincipal({
      accountId: account, environment: 'test', scopes: new Set(['read:members', 'write:api_keys']), credential: { kind: 'api_key', id: 'key_1' },
    });
    expect(decideMembership(key, { accountId: account, to: 'viewer' })).to.deep.equal({ code: 'session_required' });
    expect(decide(key, act('members', 'read'))).to.equal(undefined);
    const narrow = actorOfPrincipal({ accountId: account, environment: 'test', scopes: new Set(['read:api_keys']), credential: { kind: 'api_key', id: 'key_2' } });
    expect(decide(narrow, act('members', 'read'))).to.deep.equal({ code: 'insufficient_scope', scope: 'read:members' });
  });

  it('a user\'s token through an app is held to the user\'s role', () => {
    const delegated = {
      ...actorOfPrincipal({
        accountId: account, environment: 'test', scopes: new Set(['write:api_keys', 'read:api_keys']),
        credential: { kind: 'access_token', id: 'jti', tokenId: 'jti', clientId: 'client_1', subject: 'user_viewer', grantId: 'grant_1' },
      }),
      role: 'viewer' as const,
    };
    expect(decide(delegated, act('api_keys', 'write'), test)).to.deep.equal({ code: 'role_forbidden', role: 'viewer', why: 'role' });
    expect(decide(delegated, act('api_keys', 'read'), test)).to.equal(undefined);
  });
});
