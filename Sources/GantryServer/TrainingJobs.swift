import AgentGantry
import Foundation

/// Training runs started over HTTP (`POST /v1/train` answers 202 at once; training takes
/// seconds to minutes): per tenant, each run's state for `GET /v1/train/{job}`, numbered per
/// tenant. One run per tenant at a time: asking again while one runs answers the running job.
/// Kept in memory (a restarted server has no jobs; what training stored is in the store; a run
/// under way when the server stops stores nothing).
actor TrainingJobs {
    enum State {
        case running
        case finished(TrainingSummary)
        case failed(String)
    }

    private let metrics: ServerMetrics
    private var jobs: [String: [Int: State]] = [:]
    private var running: [String: Int] = [:]

    init(metrics: ServerMetrics) { self.metrics = metrics }

    /// Starts `tenant`'s training on `gantry` unless one runs; the job's number, and whether it
    /// is new.
    func start(_ tenant: String, on gantry: AgentGantry) -> (job: Int, started: Bool) {
        if let job = running[tenant] { return (job, false) }
        let job = (jobs[tenant]?.keys.max() ?? 0) + 1
        running[tenant] = job
        jobs[tenant, default: [:]][job] = .running
        Task {
            let state: State
            do { state = .finished(try await gantry.train()) } catch { state = .failed("\(error)") }
            self.finish(tenant, job, state)
        }
        return (job, true)
    }

    private func finish(_ tenant: String, _ job: Int, _ state: State) {
        switch state {
        case .finished(let summary): metrics.training(summary.applied ? "applied" : "refused", tenant: tenant)
        case .failed: metrics.training("failed", tenant: tenant)
        case .running: break
        }
        jobs[tenant]?[job] = state
        running[tenant] = nil
    }

    /// The state of `tenant`'s job `job`, nil when it has none of that number.
    func state(_ tenant: String, _ job: Int) -> State? { jobs[tenant]?[job] }
}
