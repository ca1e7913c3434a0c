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
}
