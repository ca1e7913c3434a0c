import Foundation
import Testing

/// `gantry stdio` answers requests with ids as they finish, each answer carrying its id, while
/// requests without one are answered in order.
@Suite("gantry stdio")
struct StdioTests {
    @Test func requestsWithIdsRunTogetherAndAnswerWithTheirIds() throws {
        let folder = NSTemporaryDirectory() + "gantry-stdio-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let gantry = try StdioGantry(store: folder + "/gantry.sqlite")
        try gantry.send(["op": "register", "tools": ConvergenceTests.tools])
        let requests: [[String: Any]] = [
            ["id": 1, "op": "execution", "tool": "send_email", "outcome": "success"],
            ["id": 2, "op": "retrieve", "query": "cancel my subscription", "limit": 2],
            ["id": 3, "op": "execution", "tool": "no_such_tool", "outcome": "success"],
            ["id": 4, "op": "tools"],
        ]
        for request in requests { try gantry.write(request) }
        var answers = [Int: [String: Any]]()
        for _ in requests {
            let answer = try gantry.readAnswer()
            answers[answer["id"] as? Int ?? -1] = answer
        }
        #expect(Set(answers.keys) == [1, 2, 3, 4], "answers came for ids \(answers.keys.sorted())")
        #expect(answers[1]?["ok"] as? Bool == true && answers[4]?["ok"] as? Bool == true)
        #expect((answers[2]?["matches"] as? [[String: Any]])?.count == 2)
        #expect(answers[3]?["ok"] as? Bool == false && (answers[3]?["error"] as? String)?.contains("no_such_tool") == true)
        // Without an id: answered in order, after the request before it.
        #expect(try gantry.tools().count == ConvergenceTests.tools.count)
    }

    /// A retrieval made by one process is reported on by another: the second finds the first's
    /// record in the store (once committed) and links its correction to the retrieval's query,
    /// which the first then serves corrected too (it follows the store).
    @Test func anotherProcessReportsOnARetrievalByItsID() throws {
        let folder = NSTemporaryDirectory() + "gantry-stdio-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try StdioGantry(store: folder + "/gantry.sqlite"), b = try StdioGantry(store: folder + "/gantry.sqlite")
        try a.send(["op": "register", "tools": ConvergenceTests.tools])
        try b.send(["op": "follow"])
        let query = "cancel my subscription"
        let retrieval = try a.send(["op": "retrieve", "query": query, "limit": 3, "team": "support"])
        let id = try #require(retrieval["retrieval"] as? String)
        let shown = try #require(retrieval["matches"] as? [[String: Any]]).compactMap { $0["tool"] as? String }
        let correct = try #require(shown.last)
        try a.send(["op": "selection", "retrieval": id, "tool": shown[0]])  // waits for its commit, and the record's
        try b.send(["op": "feedback", "retrieval": id, "selected": shown[0], "correct": correct])
        #expect(try b.retrieve(query, team: "support").first?["tool"] as? String == correct)
        #expect(try eventually { try a.retrieve(query, team: "support").first?["tool"] as? String == correct })
        try b.send(["op": "execution", "retrieval": id, "tool": shown[1], "outcome": "wrong_tool"])
        try b.write(["op": "execution", "tool": shown[1], "outcome": "wrong_tool"])
        let unlinked = try b.readAnswer()
        #expect(unlinked["ok"] as? Bool == false)
        try b.write(["op": "feedback", "retrieval": "00000000000000ff", "correct": correct])
        let unknown = try b.readAnswer()
        #expect(unknown["ok"] as? Bool == false && (unknown["error"] as? String)?.contains("00000000000000ff") == true)
    }
}
