import GantryIndex
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

    /// Names written in either convention meet on the same joined term.
    @Test func conventionsMeet() {
        let camel = Set(ToolTokenizer.terms("listOpenPullRequests")), snake = Set(ToolTokenizer.terms("list_open_pull_requests"))
        #expect(camel == snake)
    }
}
