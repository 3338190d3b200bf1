import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { OctokitOptions } from '@octokit/core/types';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  /** API root; `GITHUB_API_URL` when unset, which is how GitHub Enterprise Server is reached. */
  baseUrl?: string;
  log: (message: string) => void;
  /** How many times a rate-limited request is tried again before the error reaches the caller. */
  maxRateLimitRetries?: number;
}

/**
 * Octokit with GitHub's retry-after honoured: primary and secondary rate limits wait and try
 * again a few times (the throttling plugin), and server errors are retried (the retry plugin).
 * 4xx answers other than rate limits reach the caller at once: they mean something.
 */
export function createGitHubClient(token: string, options: ClientOptions): GitHubClient {
  const maxRetries = options.maxRateLimitRetries ?? 3;
  const octokitOptions: OctokitOptions = {
    throttle: {
      onRateLimit: (
        retryAfter: number,
        request: { method: string; url: string },
        _octokit: unknown,
        retryCount: number,
      ) => {
        options.log(`GitHub rate limit on ${request.method} ${request.url}: retrying after ${retryAfter}s`);
        return retryCount < maxRetries;
      },
      onSecondaryRateLimit: (
        retryAfter: number,
        request: { method: string; url: string },
        _octokit: unknown,
        retryCount: number,
      ) => {
        options.log(
          `GitHub secondary rate limit on ${request.method} ${request.url}: retrying after ${retryAfter}s`,
        );
        return retryCount < maxRetries;
      },
    },
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
  };
  if (options.baseUrl) octokitOptions.baseUrl = options.baseUrl;
  return getOctokit(token, octokitOptions, retry, throttling);
}

/** The HTTP status of an Octokit request error, or undefined for anything else. */
export function httpStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}
