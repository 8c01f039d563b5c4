// The CLI's agent commands: the apps nobody registered in the portal (open registrations, client ID
// metadata documents), the operator's verification of one, and blocked hosts. Every change is
// audited in the operator account (server/agents/registry.ts).
import type { Store } from '../adapters/contract.ts';
import { LatchkeyError, ValidationError } from '../config/errors.ts';
import type { Settings } from '../config/settings.ts';
import { AgentRegistry, normalizeHost, type AgentClient } from '../server/agents/registry.ts';
import { authorizeAgents } from '../server/authority/authorize.ts';
import { OPERATOR } from '../server/authority/identify.ts';
import { ensureOperatorAccount } from '../server/clients/resource-servers.ts';

export const AGENT_COMMANDS = ['agent list', 'agent verify', 'agent unverify', 'agent block-host', 'agent unblock-host'];

export function presentAgent(agent: AgentClient): Record<string, unknown> {
  return {
    client_id: agent.id, source: agent.source, name: agent.name, type: agent.type, host: agent.host, redirect_uris: agent.redirectUris,
    first_seen_at: agent.firstSeenAt.toISOString(), last_seen_at: agent.lastSeenAt.toISOString(),
    trust: agent.verified ? 'verified' : 'unverified', ...(agent.verified ? { verified_by: agent.verified.by, verified_at: agent.verified.at.toISOString() } : {}),
    authorizations_today: agent.authorizationsToday,
  };
}

function hostOf(target: string | undefined): string {
  const host = normalizeHost(target ?? '');
  if (!host) throw new ValidationError('host', 'give a host name, for example: agent block-host agents.example.com');
  return host;
}

export async function runAgentCommand(command: string, store: Store, settings: Settings, target: string | undefined): Promise<Record<string, unknown>> {
  const agents = new AgentRegistry(store, await ensureOperatorAccount(store), settings.agents.dailyAuthorizations);
  authorizeAgents(OPERATOR, agents.operatorAccountId);
  switch (command) {
    case 'agent list': {
      const blocked = await agents.blockedHosts();
      const data = [];
      for (let page = await agents.list({ limit: 500 }); page.length > 0; page = await agents.list({ limit: 500, after: page.at(-1)!.id })) {
        data.push(...page.map(presentAgent));
      }
      return { object: 'list', data, blocked_hosts: blocked.map((b) => ({ host: b.host, blocked_by: b.by, blocked_at: b.at.toISOString() })) };
    }
    case 'agent verify':
    case 'agent unverify': {
      if (!target) throw new ValidationError('client_id', `give the client id, for example: ${command} https://agent.example.com/client.json`);
      const changed = command === 'agent verify' ? await agents.verify(target, OPERATOR.name) : await agents.unverify(target, OPERATOR.name);
      const found = await agents.find(target);
      if (!found && !changed) throw new LatchkeyError('not_found', `no app ${target} has been seen; see latchkey agent list`);
      return found ? presentAgent(found) : { client_id: target, trust: 'unverified' };
    }
    case 'agent block-host': {
      const host = hostOf(target);
      await agents.block(host, OPERATOR.name);
      return { host, blocked: true };
    }
    default: {
      const host = hostOf(target);
      if (!await agents.unblock(host, OPERATOR.name)) throw new LatchkeyError('not_found', `${host} is not blocked`);
      return { host, blocked: false };
    }
  }
}
