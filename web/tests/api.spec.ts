import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, apiUrl, configureClient, errorFromResponse, http, request, resetClient } from '@/api/client';
import { adminApi, authApi, meApi } from '@/api';

type Call = { url: string; init: RequestInit & { headers: Record<string, string> } };

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}

/** The ApiError a request failed with. */
async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the request to fail');
}

let calls: Call[];
let next: () => Response | Promise<Response>;
const onUnauthorized = vi.fn();

beforeEach(() => {
  calls = [];
  next = () => json(200, { ok: true });
  onUnauthorized.mockReset();
  vi.stubGlobal('fetch', async (url: string, init: Call['init']) => {
    calls.push({ url, init });
    return next();
  });
  configureClient({
    locale: () => 'en',
    csrfToken: () => 'csrf-123',
    onUnauthorized,
    fallbackMessage: (kind, status) => (kind === 'network' ? 'NETWORK' : `FAILED ${status}`),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  resetClient();
});

describe('request headers', () => {
  it('sends the language and same-origin credentials, and no CSRF token on GET', async () => {
    await http.get('/me');
    expect(calls[0].url).toBe('/api/v1/me');
    expect(calls[0].init.method).toBe('GET');
    expect(calls[0].init.credentials).toBe('same-origin');
    expect(calls[0].init.headers['Accept-Language']).toBe('en');
    expect(calls[0].init.headers['X-CSRF-Token']).toBeUndefined();
  });

  it.each(['POST', 'PUT', 'PATCH', 'DELETE'])('sends X-CSRF-Token on %s', async (method) => {
    await request(method, '/admin/tags/1', { body: { name: 'x' } });
    expect(calls[0].init.headers['X-CSRF-Token']).toBe('csrf-123');
    expect(calls[0].init.headers['Content-Type']).toBe('application/json');
    expect(calls[0].init.body).toBe('{"name":"x"}');
  });

  it('omits the CSRF header when no session token is known', async () => {
    configureClient({ csrfToken: () => null });
    await authApi.login({ account: 'a', password: 'b' });
    expect(calls[0].init.headers['X-CSRF-Token']).toBeUndefined();
  });

  it('lets the browser set the multipart boundary on uploads', async () => {
    next = () => json(200, { total: 1, valid: 1, invalid: 0, applied: 0, created: 0, updated: 0, errors: [] });
    const file = new File(['姓名,帐号\n张三,zhangsan\n'], 'people.csv', { type: 'text/csv' });
    await adminApi.importMembers(file, 'all_or_nothing', true);
    const { init } = calls[0];
    expect(init.headers['Content-Type']).toBeUndefined();
    expect(init.headers['X-CSRF-Token']).toBe('csrf-123');
    const form = init.body as FormData;
    expect(form.get('mode')).toBe('all_or_nothing');
    expect(form.get('dry_run')).toBe('true');
    expect((form.get('file') as File).name).toBe('people.csv');
  });
});

describe('error handling', () => {
  it('maps {error:{code,message,fields}} to an ApiError with the server message', async () => {
    next = () =>
      json(422, { error: { code: 'validation', message: '手机号格式不正确', key: 'error.validation', fields: { mobile: 'format', email: 'taken' } } });
    const err = await failure(http.post('/admin/members', { userid: 'x' }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.code).toBe('validation');
    expect(err.message).toBe('手机号格式不正确');
    expect(err.key).toBe('error.validation');
    expect(err.fields).toEqual({ mobile: 'format', email: 'taken' });
    expect(err.hasFields).toBe(true);
  });

  it('keeps the details a refusal carries, and none when there are none', async () => {
    next = () => json(422, { error: { code: 'outside_area', message: '不在打卡范围内：距最近的打卡地点 1200 米', details: { distance_m: 1200, field_allowed: true } } });
    const err = await failure(http.post('/attendance/clock-ins', { coord_system: 'wgs84' }));
    expect(err.code).toBe('outside_area');
    expect(err.details).toEqual({ distance_m: 1200, field_allowed: true });
    next = () => json(422, { error: { code: 'validation', message: 'x', details: [1, 2] } });
    expect((await failure(http.post('/x'))).details).toEqual({});
  });

  it('keeps the 409 message of a refused department move', async () => {
    next = () => json(409, { error: { code: 'department_move_cycle', message: '不能移动到自己的下级部门' } });
    const err = await failure(adminApi.updateDepartment(2, { parent_id: 4 }));
    expect(err.status).toBe(409);
    expect(err.code).toBe('department_move_cycle');
    expect(err.message).toBe('不能移动到自己的下级部门');
    expect(err.hasFields).toBe(false);
  });

  it('never shows a raw body: non-JSON failures get the localised fallback', async () => {
    next = () => new Response('thread panicked at src/db.rs:42', { status: 500, headers: { 'content-type': 'text/plain' } });
    const err = await failure(http.get('/directory/departments'));
    expect(err.message).toBe('FAILED 500');
    expect(err.message).not.toContain('panicked');
    expect(err.code).toBe('http_500');
  });

  it('uses the fallback when the JSON body has no usable message', async () => {
    next = () => json(403, { error: { code: 'forbidden', message: '' } });
    const err = await failure(http.get('/admin/apps'));
    expect(err.message).toBe('FAILED 403');
    expect(err.code).toBe('forbidden');
  });

  it('turns a network failure into a friendly error', async () => {
    next = () => Promise.reject(new TypeError('Failed to fetch'));
    const err = await failure(http.get('/me'));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.message).toBe('NETWORK');
  });

  it('sends a 401 to sign-in, except where the caller expects it', async () => {
    next = () => json(401, { error: { code: 'unauthenticated', message: '请先登录' } });
    await http.get('/directory/members').catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await meApi.get().catch(() => undefined);
    const loginErr = await failure(authApi.login({ account: 'a', password: 'wrong' }));
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(loginErr.message).toBe('请先登录');
  });

  it('reports a locked account (423) with its message', async () => {
    next = () => json(423, { error: { code: 'account_locked', message: '帐号已锁定，请 15 分钟后再试' } });
    const err = await failure(authApi.login({ account: 'a', password: 'b' }));
    expect(err.status).toBe(423);
    expect(err.message).toContain('锁定');
  });

  it('errorFromResponse tolerates malformed JSON', async () => {
    const res = new Response('{not json', { status: 502, headers: { 'content-type': 'application/json' } });
    const err = await errorFromResponse(res);
    expect(err.message).toBe('FAILED 502');
  });
});

describe('responses and urls', () => {
  it('returns undefined for 204', async () => {
    next = () => new Response(null, { status: 204 });
    await expect(meApi.endSession('s1')).resolves.toBeUndefined();
    expect(calls[0].url).toBe('/api/v1/me/sessions/s1');
    expect(calls[0].init.method).toBe('DELETE');
  });

  it('builds query strings without empty values and escapes path parts', async () => {
    expect(apiUrl('/directory/members', { department_id: 3, recursive: true, q: '', offset: 0, limit: undefined })).toBe(
      '/api/v1/directory/members?department_id=3&recursive=true&offset=0',
    );
    await adminApi.member('li.si@x');
    expect(calls[0].url).toBe('/api/v1/admin/members/li.si%40x');
    expect(adminApi.exportUrl('csv')).toBe('/api/v1/admin/members/export?format=csv');
  });

  it('accepts both enveloped and bare settings objects', async () => {
    next = () => json(200, { settings: { password_min_length: 10, password_rotation_days: 0, login_max_failures: 5, login_lock_minutes: 15 } });
    expect((await adminApi.security()).password_min_length).toBe(10);
    next = () => json(200, { password_min_length: 12, password_rotation_days: 0, login_max_failures: 5, login_lock_minutes: 15 });
    expect((await adminApi.security()).password_min_length).toBe(12);
  });
});
