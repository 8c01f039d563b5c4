// Calls the Partner API and the management API the way a partner's code does.
export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: { code: string; message: string; [k: string]: unknown } };
}

export async function call(
  issuer: string, method: string, path: string, credential?: string, body?: unknown,
): Promise<ApiResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (credential) headers.authorization = `Bearer ${credential}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${issuer}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) as ApiResponse['body'] : {} };
}
