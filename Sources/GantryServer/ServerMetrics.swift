import AgentGantry
import Prometheus

/// What `GET /metrics` shows, in Prometheus' text format: requests by route, status and tenant,
/// their latency by route, reports stored by kind, training runs by result, and — read when
/// scraped — each open tenant's tools and breakers that are not closed. Labels carry route
/// templates and tenant names only: never a query, a user or a tool's arguments.
struct ServerMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()

    /// Latency buckets: 0.25 ms to 10 s.
    private static let buckets: [Duration] = [0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 10_000].map { .microseconds(Int64($0 * 1000)) }

    /// A request to `route` (its template) answered with `status` after `duration`.
    func request(route: String, status: Int, tenant: String, duration: Duration) {
        registry.makeCounter(descriptor: .init(namespace: "gantry", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
                             labels: [("route", route), ("status", String(status)), ("tenant", tenant)]).increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "gantry", metricName: "http_request_duration", unitName: "seconds",
                                                         helpText: "Time from a request's arrival to its answer"),
                                       labels: [("route", route)], buckets: Self.buckets).record(duration)
    }

    /// A report of `kind` (selection, execution, feedback) stored for `tenant`.
    func report(_ kind: String, tenant: String) {
        registry.makeCounter(descriptor: .init(namespace: "gantry", metricName: "reports", unitName: "total", helpText: "Reports stored"),
                             labels: [("kind", kind), ("tenant", tenant)]).increment()
    }

    /// A training run of `tenant` ended with `result` (applied, refused, failed).
    func training(_ result: String, tenant: String) {
        registry.makeCounter(descriptor: .init(namespace: "gantry", metricName: "training_runs", unitName: "total", helpText: "Training runs by result"),
                             labels: [("result", result), ("tenant", tenant)]).increment()
    }

    /// The exposition of every metric, the gauges of `gantries` (by tenant) read now.
    func exposition(of gantries: [(tenant: String, gantry: AgentGantry)]) async -> String {
        for (tenant, gantry) in gantries {
            let breakers = await gantry.nonClosedBreakers().values
            let (open, halfOpen) = (breakers.count { $0 == .open }, breakers.count { $0 == .halfOpen })
            registry.makeGauge(descriptor: .init(namespace: "gantry", metricName: "tools", unitName: "", helpText: "Registered tools"),
                               labels: [("tenant", tenant)]).set(Double(await gantry.tools.count))
            for (state, count) in [("open", open), ("half_open", halfOpen)] {
                registry.makeGauge(descriptor: .init(namespace: "gantry", metricName: "breakers", unitName: "", helpText: "Tools whose breaker is not closed"),
                                   labels: [("state", state), ("tenant", tenant)]).set(Double(count))
            }
        }
        return registry.emitToString()
    }
}
