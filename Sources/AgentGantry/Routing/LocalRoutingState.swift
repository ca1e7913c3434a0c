import Foundation
import Synchronization

/// What retrievals change in this process, apart from the store and the log: the `half_open`
/// probes handed out (`ProbeBudget`) and each session's last routed intent (attributed to the
/// executions that follow). Retrievals run on many threads at once, so both sit behind a lock.
final class LocalRoutingState: Sendable {
    private struct State {
        var probes = ProbeBudget()
        var sessionIntents = RecentSessions<String>()
    }

    private let cell = Mutex(State())

    /// The probes handed out so far.
    var probes: ProbeBudget { cell.withLock { $0.probes } }

    /// The intent of `session`'s last routed request.
    func intent(ofSession session: String) -> String? {
        cell.withLock { $0.sessionIntents[session] }
    }

    /// Records what a retrieval handed out: `session`'s intent, and the `half_open` tools among
    /// `matches` as probes — keeping only those the budget still admits (another retrieval may
    /// have taken the last probe since this one ranked). Returns the matches kept.
    func handOut(_ matches: [ToolMatch], session: String?, intent: String?, state: LearnedState) -> [ToolMatch] {
        cell.withLock { local in
            let kept = matches.filter { match in
                guard match.breaker == .halfOpen, let breaker = state.health[match.tool.name]?.breaker else { return true }
                guard local.probes.admits(match.tool.name, breaker: breaker, policy: state.settings.breaker) else { return false }
                local.probes.admit(match.tool.name, breaker: breaker)
                return true
            }
            if !kept.isEmpty, let session, let intent { local.sessionIntents[session] = intent }
            return kept
        }
    }
}
