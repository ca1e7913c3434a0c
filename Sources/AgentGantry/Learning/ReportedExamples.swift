/// What the reports naming one retrieval teach the adapter (`AgentGantry.train()`), by these rules:
///
/// - A tool whose call succeeded (`RetrievalReport.Signal.success`) is correct for the query: a
///   positive, with the rank it was shown at (for the position-bias weight, `PositionBias`).
/// - A tool the caller says cannot do the request (`.wrongTool`) is wrong for it: a negative.
/// - A tool whose call failed (`.failure`) is a negative only when another tool of the same
///   retrieval succeeded after it: the request was doable, so the first tool was the wrong
///   choice. A failure or timeout alone says the tool is down, not that it was the wrong tool:
///   it feeds health only.
/// - Tools shown above the first positive and neither selected nor called were passed over:
///   weak negatives (`passedOver`; a correct tool the agent did not look at is among them now and
///   then, which is why they are kept apart).
///
/// Reports of a retrieval without a record (lost in a crash, deleted, or never recorded) teach
/// nothing: without the query there is nothing to learn for. A tool reported both ways (a
/// success and a wrong tool: noise, or two calls) counts as its success.
struct ReportedExample: Sendable {
    /// The retrieval the reports name.
    var record: RetrievalRecord
    /// The tools that did the request, in the order of their first success, with the rank
    /// (0 first) each was shown at, or nil when the agent called a tool it was not shown.
    var positives: [(tool: String, rank: Int?)]
    /// The tools that were wrong for it.
    var negatives: [String]
    /// The tools shown above the first positive that no report names.
    var passedOver: [String]
    /// The id of the first success report: an adapter trained on reports up to an id below it
    /// never saw this example.
    var firstSuccess: Int64

    /// The examples of every record in `records` that a report in `reports` names with a
    /// success (`reports` in commit order; records by id).
    static func examples(records: [RetrievalRecord], reports: [RetrievalReport]) -> [ReportedExample] {
        var byRetrieval = [RetrievalID: [RetrievalReport]]()
        for report in reports { byRetrieval[report.retrieval, default: []].append(report) }
        return records.compactMap { record in
            byRetrieval[record.id].flatMap { example(record, $0) }
        }
    }

    /// The example of `record` given its `reports` (in commit order), or nil when none succeeded.
    static func example(_ record: RetrievalRecord, _ reports: [RetrievalReport]) -> ReportedExample? {
        var succeeded = [String]()
        for report in reports where report.signal == .success && !succeeded.contains(report.tool) { succeeded.append(report.tool) }
        guard !succeeded.isEmpty, let firstSuccess = reports.first(where: { $0.signal == .success })?.id else { return nil }
        // The last success of another tool: a failure before it is a routing mistake.
        var negatives = [String]()
        for (index, report) in reports.enumerated() where !succeeded.contains(report.tool) && !negatives.contains(report.tool) {
            switch report.signal {
            case .wrongTool:
                negatives.append(report.tool)
            case .failure where reports[(index + 1)...].contains(where: { $0.signal == .success && $0.tool != report.tool }):
                negatives.append(report.tool)
            default:
                break
            }
        }
        let named = Set(reports.map(\.tool))
        let first = succeeded.compactMap(record.rank(of:)).min() ?? 0
        let passedOver = record.shortlist.prefix(first).map(\.tool).filter { !named.contains($0) }
        return ReportedExample(record: record, positives: succeeded.map { ($0, record.rank(of: $0)) }, negatives: negatives,
                               passedOver: passedOver, firstSuccess: firstSuccess)
    }
}
