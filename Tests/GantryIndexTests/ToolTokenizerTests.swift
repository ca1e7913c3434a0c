import GantryIndex
import Testing

@Suite("ToolTokenizer")
struct ToolTokenizerTests {
    @Test(arguments: [
        ("getUserByID", ["get", "user", "by", "id", "get_user_by_id"]),
        ("get_user_by_id", ["get", "user", "by", "id", "get_user_by_id"]),
        ("cancel_subscription_v2", ["cancel", "subscription", "v", "2", "cancel_subscription_v_2"]),
        ("HTTPServer restart", ["http", "server", "http_server", "restart"]),
        ("oauth2Token", ["oauth", "2", "token", "oauth_2_token"]),
        ("Send an e-mail, NOW!", ["send", "an", "e", "mail", "now"]),
        ("Café crème", ["cafe", "creme"]),
        ("cafe\u{301}", ["cafe"]),  // a decomposed accent folds away with its letter
        ("ＡＢＣ全角", ["abc", "全角", "abc_全角"]),  // full-width letters narrowed; letters without case are a part of their own
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
