// Request counters and latency histograms, written in the Prometheus text exposition format.
import type { PoolStats } from './pool.ts';

// Upper bounds in seconds: from a cached page (1 ms) to the default query time limit (30 s).
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Histogram = { counts: number[]; sum: number; count: number };

/** Counts requests by route template (never the raw path, which would make a series per record). */
export class Metrics {
  #requests = new Map<string, number>();
  #latency = new Map<string, Histogram>();
  #started = Date.now();

  /** Records one answered request. `route` is the route's template, e.g. `/archives/{name}/sparql`. */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `route="${route}",method="${method}",status="${status}"`;
    this.#requests.set(key, (this.#requests.get(key) ?? 0) + 1);
    let h = this.#latency.get(route);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#latency.set(route, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) h.counts[i]++;
    h.sum += seconds;
    h.count++;
  }

  /** The metrics page (`text/plain; version=0.0.4`), including the query pool's gauges and counters. */
  render(pool: PoolStats): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family(
      'benchgraph_http_requests_total',
      'counter',
      'HTTP requests answered, by route, method and status.',
    );
    for (const [labels, n] of [...this.#requests].sort())
      lines.push(`benchgraph_http_requests_total{${labels}} ${n}`);
    family(
      'benchgraph_http_request_duration_seconds',
      'histogram',
      'Time to answer an HTTP request, by route.',
    );
    for (const [route, h] of [...this.#latency].sort()) {
      BUCKETS.forEach((le, i) => {
        lines.push(
          `benchgraph_http_request_duration_seconds_bucket{route="${route}",le="${le}"} ${h.counts[i]}`,
        );
      });
      lines.push(`benchgraph_http_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${h.count}`);
      lines.push(`benchgraph_http_request_duration_seconds_sum{route="${route}"} ${h.sum}`);
      lines.push(`benchgraph_http_request_duration_seconds_count{route="${route}"} ${h.count}`);
    }
    const gauge = (name: string, help: string, value: number, type = 'gauge') => {
      family(name, type, help);
      lines.push(`${name} ${value}`);
    };
    gauge('benchgraph_query_workers', 'Query worker threads.', pool.workers);
    gauge('benchgraph_query_workers_ready', 'Query workers that have loaded their stores.', pool.ready);
    gauge('benchgraph_query_workers_busy', 'Query workers running a query.', pool.busy);
    gauge('benchgraph_query_queue_length', 'Queries waiting for a worker.', pool.queued);
    gauge('benchgraph_query_timeouts_total', 'Queries stopped at the time limit.', pool.timeouts, 'counter');
    gauge(
      'benchgraph_query_rejected_total',
      'Queries refused because the queue was full.',
      pool.rejected,
      'counter',
    );
    gauge('benchgraph_query_worker_restarts_total', 'Query workers replaced.', pool.restarts, 'counter');
    gauge(
      'benchgraph_uptime_seconds',
      'Seconds since the server started.',
      (Date.now() - this.#started) / 1000,
    );
    return `${lines.join('\n')}\n`;
  }
}
