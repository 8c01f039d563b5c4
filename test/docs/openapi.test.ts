// The API description at /openapi.json: a valid OpenAPI 3.1 document (swagger-parser), describing
// every route mounted under /v1 and /api/v1 and nothing else, linked from / and /docs, rendered at
// /docs/api; and each documented example, sent to the live server, gets the documented status and
// an answer that validates against the documented schema (ajv, JSON Schema 2020-12).
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import type Router from '@koa/router';
import { Browser } from '../../packages/form-browser/browser.ts';
import { form, signInToPortal } from '../portal/helpers.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

type Json = Record<string, unknown>;
interface Operation { operationId: string; requestBody?: { content: Record<string, { example?: unknown }> }; responses: Record<string, { content?: Record<string, { schema: Json }> }> }

/** The routes the app really answers under /v1 and /api/v1, as "METHOD /path/{param}". */
function mountedRoutes(server: TestServer): string[] {
  const routes = new Set<string>();
  const middleware = server.latchkey.app.middleware as unknown as { router?: Router; routers?: Router[] }[];
  for (const router of middleware.flatMap((m) => m.routers ?? (m.router ? [m.router] : []))) {
    for (const layer of router.stack) {
      const path = String(layer.path);
      if (!/^\/(v1|api\/v1)\//.test(`${path}/`) || layer.methods.length === 0) continue;
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) routes.add(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return [...routes].sort();
}

describe('the API description (/openapi.json)', function () {
  this.timeout(60_000);
  let server: TestServer;
  let document: Json & { paths: Record<string, Record<string, Operation>>; components: { schemas: Json } };

  before(async () => {
    server = await startServer();
    const res = await fetch(`${server.issuer}/openapi.json`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    document = await res.json() as typeof document;
  });
  after(() => server.stop({ removeData: true }));

  it('is a valid OpenAPI 3.1 document naming this server', async () => {
    await SwaggerParser.validate(structuredClone(document) as never);
    expect(document.openapi).to.equal('3.1.0');
    expect(document.servers).to.deep.equal([{ url: server.issuer }]);
  });

  it('describes every route mounted under /v1 and /api/v1, and no other', () => {
    const described = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const mounted = mountedRoutes(server);
    expect(mounted.length, 'routes were found at all').to.be.greaterThan(30);
    expect(described).to.deep.equal(mounted);
  });

  it('is linked from / and /docs, and rendered at /docs/api with every operation', async () => {
    for (const page of ['/', '/docs']) {
      const html = await (await fetch(`${server.issuer}${page}`, { headers: { accept: 'text/html' } })).text();
      expect(html, page).to.include('href="/openapi.json"').and.to.include('href="/docs/api"');
    }
    const res = await fetch(`${server.issuer}/docs/api`);
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.not.match(/<script[^>]+src="https?:/, 'no third-party script');
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) expect(html, `${method} ${path}`).to.include(`${method.toUpperCase()} ${path}`);
    }
  });

  it('answers each documented example with the documented status and schema', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'openapi', components: document.components });

    const owner = await server.createUser();
    const member = await server.addMember(owner.accountId, 'developer');
    const browser = new Browser();
    const home = await signInToPortal(browser, server.issuer, owner);
    const csrf = form(home, '/portal/logout').fields._csrf!;
    const session = async (method: string, path: string, body?: unknown) => {
      const page = await browser.request(`${server.issuer}${path}`, {
        method, headers: { accept: 'application/json', 'content-type': 'application/json', ...(method === 'GET' ? {} : { 'x-csrf-token': csrf }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: page.status, json: () => Promise.resolve(JSON.parse(page.html) as unknown) };
    };
    const partnerKey = await (await session('POST', '/v1/api-keys', {
      environment: 'test', scopes: ['read:contacts', 'write:contacts', 'read:events', 'read:billing', 'write:webhooks'],
    })).json() as { key: string };
    const bearer = (method: string, path: string, body?: unknown) => fetch(`${server.issuer}${path}`, {
      method, headers: { authorization: `Bearer ${partnerKey.key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

    // The object each path's {id} names: the last one its collection made (a member: the one added above).
    const made = new Map<string, string>([['/v1/members', member.userId]]);
    const failures: string[] = [];
    let sent = 0;
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const example = op.requestBody?.content['application/json']?.example;
        const isList = method === 'get' && !path.includes('{');
        if (example === undefined && !isList) continue;
        const collection = path.replace(/\/\{id\}.*$/, '');
        const id = made.get(collection);
        if (path.includes('{id}') && !id) { failures.push(`${op.operationId}: nothing made to name`); continue; }
        const url = path.replace('{id}', id ?? '');
        const call = path.startsWith('/api/') || path.startsWith('/v1/credentials') ? bearer : session;
        const res = await call(method.toUpperCase(), url, example);
        sent += 1;
        const [status, success] = Object.entries(op.responses)[0]!;
        const body = res.status === 204 ? undefined : await res.json() as Json;
        if (String(res.status) !== status) { failures.push(`${op.operationId}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`); continue; }
        const schema = success.content?.['application/json']?.schema;
        if (schema && !ajv.validate(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/')) as Json, body)) {
          failures.push(`${op.operationId}: ${ajv.errorsText(ajv.errors)}`);
        }
        if (method === 'post' && res.status === 201 && typeof body?.id === 'string') made.set(path.replace(/\/\{id\}.*$/, ''), body.id);
      }
    }
    expect(failures).to.deep.equal([]);
    expect(sent, 'examples were sent').to.be.greaterThan(15);
  });
});
