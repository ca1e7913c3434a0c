/// Which tools each user and team chose (from corrections and successful executions), and the
/// preference signal that follows: a share of past choices among the relevant candidates.
struct PreferenceModel: Sendable {
    private var userChoices: [String: [String: Double]] = [:]
    private var teamChoices: [String: [String: Double]] = [:]

    /// Counts one choice of `tool` for the user and the team (either may be nil).
    mutating func recordChoice(of tool: String, user: String?, team: String?) {
        if let user { userChoices[user, default: [:]][tool, default: 0] += 1 }
        if let team { teamChoices[team, default: [:]][tool, default: 0] += 1 }
    }

    /// For each of `tools`, the share of the user's (or team's, whichever is larger) past choices
    /// among these tools that went to it, smoothed: count / (choices among them + smoothing). So a
    /// few events move little, and a team that always picks Slack over e-mail prefers Slack.
    func shares(among tools: [String], context: RoutingContext, smoothing: Double) -> [String: Double] {
        func shares(_ counts: [String: Double]?) -> [String: Double] {
            guard let counts else { return [:] }
            let total = tools.reduce(0) { $0 + (counts[$1] ?? 0) }
            guard total > 0 else { return [:] }
            return Dictionary(uniqueKeysWithValues: tools.map { ($0, (counts[$0] ?? 0) / (total + smoothing)) })
        }
        let user = context.user.map { shares(userChoices[$0]) } ?? [:]
        let team = context.team.map { shares(teamChoices[$0]) } ?? [:]
        return user.merging(team) { max($0, $1) }
    }
}
