import Foundation
import Testing

/// The main job on the data the repository ships (`datasets/support-desk`).
@Test func demoRunsEndToEndOnTheShippedData() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let report = NSTemporaryDirectory() + "gantry-demo-\(UUID().uuidString)/report.json"
    let run = try runGantry(["demo", "--dataset", root + "/datasets/support-desk", "--report", report])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.output.contains("| frozen, dense only |") && run.output.contains("| frozen |") && run.output.contains("| after train() |"))
    #expect(run.output.contains("team A → slack_notify, team B → email_notify"))
    #expect(run.output.contains("restart_service open"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as! [String: Any]
    #expect(json["events"] as? Int == 669 && (json["learningCurve"] as? [Double])?.isEmpty == false)
    let frozen = (json["frozen"] as! [String: Any])["top1"] as! Double
    let trained = (json["afterTraining"] as! [String: Any])["metrics"] as! [String: Any]
    #expect(frozen > 0.5 && (trained["mrr@10"] as! Double) > ((json["frozen"] as! [String: Any])["metrics"] as! [String: Any])["mrr@10"] as! Double)
    // Requests the log holds, asked again, are answered from the corrections recorded for them.
    let repeatedFrozen = (json["frozenRepeated"] as! [String: Any])["top1"] as! Double
    let repeatedAfter = (json["afterFeedbackRepeated"] as! [String: Any])["top1"] as! Double
    #expect(repeatedAfter > repeatedFrozen + 0.2, "\(repeatedFrozen) → \(repeatedAfter)")
    let missing = try runGantry(["demo", "--dataset", "/nonexistent"])
    #expect(missing.status != 0 && missing.output.contains("/nonexistent/events.jsonl not found"))
}

/// The same log in another order: the feedback still never lowers the paraphrases it was not about.
@Test func demoReplaysTheLogInAShuffledOrder() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    let folder = NSTemporaryDirectory() + "gantry-demo-\(UUID().uuidString)"
    func report(_ extra: [String]) throws -> [String: Any] {
        let path = folder + "/report-\(extra.count).json"
        let run = try runGantry(["demo", "--dataset", root + "/datasets/support-desk", "--report", path] + extra)
        #expect(run.status == 0, "\(run.output)")
        return try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }
    let logged = try report([]), shuffled = try report(["--shuffle-log", "3"])
    #expect(shuffled["events"] as? Int == 669)
    #expect(shuffled["learningCurve"] as? [Double] != logged["learningCurve"] as? [Double], "the order did not change")
    func top1(_ json: [String: Any], _ key: String) -> Double { (json[key] as! [String: Any])["top1"] as! Double }
    #expect(top1(shuffled, "afterFeedback") >= top1(shuffled, "frozen"))
    #expect(top1(shuffled, "afterFeedbackRepeated") > top1(shuffled, "frozenRepeated") + 0.2)
    #expect(shuffled["trainingApplied"] as? Bool == true)
    let bad = try runGantry(["demo", "--shuffle-log", "-1"])
    #expect(bad.status != 0)
}
