import Foundation
import Testing

/// `gantry --version` names the newest release of CHANGELOG.md (the version a tag of this commit
/// carries), so a release cannot ship with a stale version string or an unwritten changelog.
@Test func versionIsTheChangelogsNewestRelease() throws {
    let changelog = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("CHANGELOG.md")
    let text = try String(contentsOf: changelog, encoding: .utf8)
    let heading = try #require(text.split(separator: "\n").first { $0.hasPrefix("## ") && $0.contains(where: \.isNumber) })
    let version = try #require(heading.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == ")" }).first {
        $0.split(separator: ".").count == 3 && $0.split(separator: ".").allSatisfy { Int($0) != nil }
    })
    let run = try runGantry(["--version"])
    #expect(run.status == 0 && run.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(version),
            "gantry --version printed \(run.output); CHANGELOG.md's newest release is \(version)")
}
