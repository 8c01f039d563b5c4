// Delivery settings: defaults from config/lifetimes.ts, each variable validated with a message that names it.
import { expect } from 'chai';
import { WEBHOOK_DELIVERY } from '../../config/lifetimes.ts';
import { loadSettings, SettingsError } from '../../config/settings.ts';

const base = { NODE_ENV: 'test', DATA_DIR: '/tmp/unused' };

describe('webhook delivery settings', () => {
  it('default to config/lifetimes.ts, with retries spanning at most 24 hours', () => {
    const { webhooks } = loadSettings(base);
    expect(webhooks).to.deep.equal({
      poll: WEBHOOK_DELIVERY.poll, retrySchedule: WEBHOOK_DELIVERY.retrySchedule, disableAfter: WEBHOOK_DELIVERY.disableAfter,
      timeout: WEBHOOK_DELIVERY.timeout, lease: WEBHOOK_DELIVERY.lease,
    });
    const total = webhooks.retrySchedule.reduce((a, b) => a + b, 0);
    expect(total).to.be.above(20 * 3_600_000).and.at.most(24 * 3_600_000);
  });

  it('read durations and a schedule from the environment', () => {
    const { webhooks } = loadSettings({
      ...base, LATCHKEY_WEBHOOK_POLL: '250ms', LATCHKEY_WEBHOOK_RETRY_SCHEDULE: '1s, 1s,2m', LATCHKEY_WEBHOOK_DISABLE_AFTER: '2d',
      LATCHKEY_WEBHOOK_TIMEOUT: '3s', LATCHKEY_WEBHOOK_LEASE: '10s',
    });
    expect(webhooks).to.deep.equal({ poll: 250, retrySchedule: [1000, 1000, 120_000], disableAfter: 172_800_000, timeout: 3000, lease: 10_000 });
  });

  for (const [variable, value, words] of [
    ['LATCHKEY_WEBHOOK_RETRY_SCHEDULE', '5s,,1h', 'comma-separated durations'],
    ['LATCHKEY_WEBHOOK_POLL', 'soon', 'duration'],
    ['LATCHKEY_WEBHOOK_LEASE', '5s', 'longer than LATCHKEY_WEBHOOK_TIMEOUT'],
    ['LATCHKEY_WEBHOOK_TIMEOUT', '2m', 'duration'],
  ] as const) {
    it(`refuse ${variable}=${value}, naming it`, () => {
      expect(() => loadSettings({ ...base, [variable]: value })).to.throw(SettingsError, words).with.property('variable', variable);
    });
  }
});
