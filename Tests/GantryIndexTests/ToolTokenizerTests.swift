import GantryMath
@testable import GantryIndex
import Testing

@Suite("ToolTokenizer")
struct ToolTokenizerTests {
    @Test(arguments: [
        ("getUserByID", ["get", "user", "by", "id", "getuserbyid"]),
        ("get_user_by_id", ["get", "user", "by", "id", "getuserbyid"]),
        ("cancel_subscription_v2", ["cancel", "subscription", "v", "2", "cancelsubscriptionv2"]),
        ("HTTPServer restart", ["http", "server", "httpserver", "restart"]),
        ("OAuth", ["o", "auth", "oauth"]),
        ("APIs and URLs", ["apis", "and", "urls"]),
        ("IPv6", ["ipv", "6", "ipv6"]),
        ("iOS", ["i", "os", "ios"]),
        ("oauth2Token", ["oauth", "2", "token", "oauth2token"]),
        ("Send an e-mail, NOW!", ["send", "an", "e", "mail", "now"]),
        ("Café crème", ["cafe", "creme"]),
        ("cafe\u{301}", ["cafe"]),  // a decomposed accent folds away with its letter
        ("ＡＢＣ全角", ["abc", "全角", "abc全角"]),  // full-width letters narrowed; letters without case are a part of their own
        ("__init__", ["init"]),
        ("", []),
        ("  ,;  -- ", []),
        ("\u{301}x", ["x"]),  // a mark with nothing before it is dropped
        ("2024-01-31", ["2024", "01", "31"]),
    ])
    func splitsToolText(_ text: String, _ expected: [String]) {
        #expect(ToolTokenizer.terms(text) == expected, "\(text)")
    }

    /// ASCII text takes a path of its own, on bytes: it splits and folds exactly as the scalar path
    /// does, on random text of letters, digits, underscores and separators, and on long runs (cut).
    @Test func asciiTextSplitsAsTheScalarPathDoes() {
        var rng = SplitMix64(seed: 18)
        let alphabet = Array("aAbBzZqQ09_ -.,/:T") + ["ab", "XY", "Http", "URLs", "v2", "__"].flatMap(Array.init)
        for _ in 0..<2_000 {
            let text = String((0..<Int(rng.next() % 40)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            #expect(ToolTokenizer.terms(text) == ToolTokenizer.unicodeTerms(text), "\(text)")
        }
        let long = String(repeating: "Ab", count: 150) + "_" + String(repeating: "c", count: 200) + " 12345"
        #expect(ToolTokenizer.terms(long) == ToolTokenizer.unicodeTerms(long))
        #expect(ToolTokenizer.terms(long).allSatisfy { $0.utf8.count <= ToolTokenizer.maxTermBytes })
        #expect(ToolTokenizer.terms("x\u{E9}y") == ToolTokenizer.unicodeTerms("x\u{E9}y"))  // one byte past ASCII: the scalar path
    }

    /// Names written in either convention meet on the same joined term.
    @Test func conventionsMeet() {
        let camel = Set(ToolTokenizer.terms("listOpenPullRequests")), snake = Set(ToolTokenizer.terms("list_open_pull_requests"))
        #expect(camel == snake)
    }
}
