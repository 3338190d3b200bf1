import { getOctokit } from '@actions/github';
import type { OctokitOptions } from '@octokit/core/types';

export type GitHubClient = ReturnType<typeof getOctokit>;

/** Default of the `api-time-budget` input: the seconds a run may spend on GitHub's API. */
export const DEFAULT_API_BUDGET_SECONDS = 300;
/** One request that gets no answer within this long is given up (undici's own default is 300 s). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Server errors and lost answers of a read are tried again this many times, 0.5 s then 1.5 s later. */
const READ_RETRIES = 2;
/** Rate-limited requests are tried again at most this many times, each wait within the budget. */
const RATE_LIMIT_RETRIES = 3;
/** GitHub's advice for a secondary rate limit that names no `retry-after`: wait a minute. */
const SECONDARY_LIMIT_DEFAULT_WAIT_S = 60;

/**
 * The time a run may spend on GitHub's API, answers and waits included. Every wait (a rate
 * limit's `retry-after`, a retry's backoff) must fit in what is left, and every request's
 * timeout is capped by it: once it is spent the run asks nothing more and falls back to the
 * annotations and the job summary, which need no API.
 */
export class ApiBudget {
  private spentMs = 0;
  constructor(readonly totalMs: number) {}

  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.spentMs);
  }

  spend(ms: number): void {
    this.spentMs += ms;
  }

  /** Whether waiting this long still leaves time for the request that follows. */
  allows(waitMs: number): boolean {
    return waitMs < this.remainingMs;
  }
}

/** What one API request was, for messages: `POST /repos/o/r/pulls/5/reviews`. */
function requestName(options: { method?: string; url?: string }): string {
  const url = (options.url ?? '').replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '');
  return `${options.method ?? 'GET'} ${url}`;
}

/** GitHub asked the run to wait longer than its budget allows. */
export class RateLimited extends Error {
  constructor(
    readonly request: string,
    readonly waitSeconds: number,
    readonly remainingSeconds: number,
    readonly primary: boolean,
  ) {
    super(
      `GitHub's ${primary ? '' : 'secondary '}rate limit on ${request} asks to wait ${waitSeconds} s, more than the ${remainingSeconds} s left of api-time-budget`,
    );
  }
}

/** The budget was spent before this request: it was not sent. */
export class BudgetSpent extends Error {
  constructor(
    readonly request: string,
    readonly totalSeconds: number,
  ) {
    super(`the ${totalSeconds} s of api-time-budget are spent; ${request} was not sent`);
  }
}

/**
 * A success status whose body is not what GitHub sends: not JSON (a truncated answer, a proxy's
 * page), or JSON of another shape (a proxy's or a stub's answer, an API that changed).
 */
export class UnreadableAnswer extends Error {
  constructor(
    readonly request: string,
    readonly answeredStatus: number,
    /** What is wrong with a JSON answer; unset when it is not JSON at all. */
    readonly shape?: string,
  ) {
    super(
      `GitHub's answer to ${request} (status ${answeredStatus}) ${shape ? `is not the answer GitHub sends: ${shape}` : 'is not JSON'}`,
    );
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What is wrong with a JSON answer, by the conventions every answer the action reads follows:
 * an object or a list of objects, each with a numeric `id`, text or null for `body`, an object
 * or null for `user`. Reading past a wrong shape would fail later as a bug of the action.
 */
function shapeProblem(method: string, url: string, data: unknown): string | undefined {
  const item = (v: unknown, what: string): string | undefined => {
    if (!isRecord(v))
      return `${what} is ${v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v}, not an object`;
    if (typeof v['id'] !== 'number') return `${what} has no numeric id`;
    if (v['body'] !== undefined && v['body'] !== null && typeof v['body'] !== 'string')
      return `the body of ${what} is not text`;
    if (v['user'] !== undefined && v['user'] !== null && !isRecord(v['user']))
      return `the user of ${what} is not an object`;
    return undefined;
  };
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) {
      const wrong = item(data[i], `item ${i + 1} of the list`);
      if (wrong) return wrong;
    }
    return undefined;
  }
  // The lists the action reads (reviews, review and issue comments, labels) are lists.
  if (method === 'GET' && /\/(?:reviews|comments|labels)(?:\?|$)/.test(url))
    return `the answer is ${data === null ? 'null' : typeof data}, not a list`;
  if (!isRecord(data)) return `the answer is ${data === null ? 'null' : typeof data}, not an object`;
  // Answers to writes are the object written; answers to reads may be other records (a comparison).
  return method === 'GET' ? undefined : item(data, 'the answer');
}

interface ResponseError {
  status?: unknown;
  message?: string;
  response?: { status: number; headers: Record<string, string | undefined>; data?: unknown };
  request?: { method?: string; url?: string };
  cause?: unknown;
}

/** The HTTP status of an Octokit request error, or undefined for anything else. */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** A request error that never got an answer: a timeout, a connection closed, a refused one. */
function noAnswer(err: unknown): boolean {
  const e = err as ResponseError | null;
  return e !== null && typeof e === 'object' && httpStatus(e) !== undefined && !e.response;
}

/**
 * A failure after which nobody knows whether GitHub did what was asked: no answer, a server
 * error, or an answer that cannot be read. A creating request that ends so may have been
 * processed, and is never sent again before the caller has looked.
 */
export function isUnclearFailure(err: unknown): boolean {
  if (err instanceof UnreadableAnswer) return true;
  if (noAnswer(err)) return true;
  const status = httpStatus(err);
  return status !== undefined && status >= 500;
}

/** How long GitHub asks to wait, in seconds, when this error is a rate limit; else undefined. */
function rateLimitWait(err: unknown): { seconds: number; primary: boolean } | undefined {
  const e = err as ResponseError | null;
  const status = httpStatus(err);
  if (!e?.response || (status !== 403 && status !== 429)) return undefined;
  const headers = e.response.headers;
  const secondary = /secondary rate limit/i.test(e.message ?? '');
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter))
    return { seconds: Math.max(0, retryAfter), primary: !secondary };
  if (headers['x-ratelimit-remaining'] === '0' && headers['x-ratelimit-reset'] !== undefined) {
    const reset = Number(headers['x-ratelimit-reset']);
    if (Number.isFinite(reset))
      return { seconds: Math.max(0, Math.ceil(reset - Date.now() / 1000)), primary: true };
  }
  if (secondary || status === 429) return { seconds: SECONDARY_LIMIT_DEFAULT_WAIT_S, primary: false };
  return undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface ClientOptions {
  /** API root; `GITHUB_API_URL` when unset, which is how GitHub Enterprise Server is reached. */
  baseUrl?: string;
  log: (message: string) => void;
  /** The run's time on the API; a fresh default budget when unset. */
  budget?: ApiBudget;
}

/**
 * Octokit that never waits past the run's budget. Each request gets its own request options
 * with its own timeout: `@actions/github` shares one `options.request` object between all
 * requests, so anything written into it (as Octokit's retry plugin writes its count) would
 * carry over to unrelated requests. Rate limits (403 or 429 with `retry-after`, or a spent
 * primary limit) wait when the wait fits in the budget; reads are retried after a server
 * error or a lost answer. Creating requests are not retried here: the caller lists first.
 */
export function createGitHubClient(token: string, options: ClientOptions): GitHubClient {
  const budget = options.budget ?? new ApiBudget(DEFAULT_API_BUDGET_SECONDS * 1000);
  const octokitOptions: OctokitOptions = {};
  if (options.baseUrl) octokitOptions.baseUrl = options.baseUrl;
  const client = getOctokit(token, octokitOptions);
  client.hook.wrap('request', async (request, endpoint) => {
    const name = requestName(endpoint);
    const rereadable = ['GET', 'HEAD', 'PUT', 'PATCH'].includes(endpoint.method ?? 'GET');
    const shared = endpoint.request;
    for (let attempt = 0, limited = 0; ;) {
      if (budget.remainingMs <= 0) throw new BudgetSpent(name, budget.totalMs / 1000);
      const started = Date.now();
      try {
        // The hooks inside this one are bound to this options object, not to an argument:
        // replacing its `request` (shared with every other request until now) is how this
        // attempt gets its own options and timeout.
        endpoint.request = {
          ...shared,
          signal: AbortSignal.timeout(Math.min(REQUEST_TIMEOUT_MS, budget.remainingMs)),
        };
        const response = await request(endpoint);
        if (response.status !== 204 && response.status !== 205) {
          if (typeof response.data === 'string') throw new UnreadableAnswer(name, response.status);
          const wrong = shapeProblem(endpoint.method ?? 'GET', endpoint.url ?? '', response.data);
          if (wrong) throw new UnreadableAnswer(name, response.status, wrong);
        }
        return response;
      } catch (err) {
        budget.spend(Date.now() - started);
        const limit = rateLimitWait(err);
        if (limit) {
          const waitMs = limit.seconds * 1000;
          if (limited >= RATE_LIMIT_RETRIES || !budget.allows(waitMs))
            throw new RateLimited(name, limit.seconds, Math.floor(budget.remainingMs / 1000), limit.primary);
          limited++;
          options.log(
            `GitHub ${limit.primary ? '' : 'secondary '}rate limit on ${name}: retrying after ${limit.seconds}s`,
          );
          budget.spend(waitMs);
          await sleep(waitMs);
          continue;
        }
        const backoffMs = 500 * 3 ** attempt;
        if (rereadable && isUnclearFailure(err) && attempt < READ_RETRIES && budget.allows(backoffMs)) {
          attempt++;
          budget.spend(backoffMs);
          await sleep(backoffMs);
          continue;
        }
        throw err;
      }
    }
  });
  return client;
}

/**
 * One line for the log: what failed, with its status, and what the user can do about it.
 * `notFound` says what a 404 means where the request was made (a wrong pull request number).
 */
export function describeApiFailure(err: unknown, notFound: string): string {
  if (err instanceof RateLimited)
    return `${err.message}: nothing more is posted (raise api-time-budget, or re-run the job when the limit has reset).`;
  if (err instanceof BudgetSpent)
    return `${err.message[0]!.toUpperCase()}${err.message.slice(1)}: nothing more is posted (raise api-time-budget if GitHub is slow).`;
  if (err instanceof UnreadableAnswer)
    return `${err.message} (${err.shape ? 'a proxy or a stub in front of the API?' : "a truncated answer, or a proxy's page?"}): nothing more is posted; re-run the job.`;
  const e = err as ResponseError;
  const name = requestName(e.request ?? {});
  const status = httpStatus(err);
  if (noAnswer(err)) {
    const cause = e.cause as { name?: string; message?: string } | undefined;
    const why =
      cause?.name === 'TimeoutError' || cause?.name === 'AbortError'
        ? 'no answer in time'
        : `no answer: ${e.message ?? 'the connection failed'}`;
    return `GitHub gave ${why} to ${name}: nothing more is posted; re-run the job.`;
  }
  if (status === 401)
    return `GitHub answered 401 (bad credentials) to ${name}: the github-token is not valid or has expired; pass the workflow's token (the default) or a valid one.`;
  if (status === 404) return `GitHub answered 404 to ${name}: ${notFound}.`;
  if (status !== undefined && status >= 500)
    return `GitHub answered ${status} to ${name}, also when tried again: nothing more is posted; re-run the job later.`;
  const message = (e.message ?? String(err)).split('\n')[0]!.slice(0, 200);
  return `GitHub answered ${status ?? 'with an error'} to ${name} (${message}): nothing more is posted.`;
}

/** Errors that say GitHub could not be used, as opposed to a bug in the action. */
export function isApiFailure(err: unknown): boolean {
  return (
    err instanceof RateLimited ||
    err instanceof BudgetSpent ||
    err instanceof UnreadableAnswer ||
    (httpStatus(err) !== undefined && (err as ResponseError).request !== undefined)
  );
}
