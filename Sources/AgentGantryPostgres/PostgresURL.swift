import Foundation
import NIOSSL
import PostgresNIO
@_spi(StoreImplementation) import AgentGantry

/// A PostgreSQL connection URL, as libpq reads one:
/// `postgres[ql]://[user[:password]@][host][:port][/database][?name=value&…]`. Recognised
/// parameters: `sslmode` (`disable`, `allow`, `prefer` — the default —, `require`, `verify-ca`,
/// `verify-full`), `sslrootcert` (a PEM file of trusted roots), `host` (a folder holding the
/// server's Unix socket, as in `postgres:///db?host=/run/postgresql`), `user`, `password`,
/// `dbname`, `port`, `application_name`, `connect_timeout` (seconds) and `options` (`-c
/// name=value` settings, such as `-c search_path=tenant_a`). The user defaults to `$PGUSER`, then
/// `postgres`; the database to the user. Any other parameter is an error, so that a typo never
/// silently weakens TLS.
struct PostgresURL: Sendable {
    enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    var host = "localhost"
    var port = 5432
    /// A folder holding the server's socket (`.s.PGSQL.<port>`), instead of `host`.
    var socketFolder: String?
    var user: String
    var password: String?
    var database: String
    var sslMode = SSLMode.prefer
    var rootCertificate: String?
    var applicationName = "agent-gantry"
    var connectTimeout: Duration = .seconds(10)
    /// Server settings sent at connection start (`options=-c name=value`).
    var settings: [(String, String)] = []

    /// The URL without its password, for messages.
    let redacted: String

    init(_ text: String) throws(GantryError) {
        func invalid(_ reason: String) -> GantryError {
            .invalidInput("the store URL \(Self.redact(text)) \(reason)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else {
            throw invalid("is not a postgres:// or postgresql:// URL")
        }
        redacted = Self.redact(text)
        user = components.user?.removingPercentEncoding ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres"
        password = components.password?.removingPercentEncoding
        if let host = components.host?.removingPercentEncoding, !host.isEmpty {
            if host.hasPrefix("/") { socketFolder = host } else { self.host = host }
        }
        if let port = components.port { self.port = port }
        let path = components.percentEncodedPath.removingPercentEncoding ?? ""
        var database = String(path.drop { $0 == "/" })
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("has sslmode=\(value); use one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert": rootCertificate = value
            case "host":
                if value.hasPrefix("/") { socketFolder = value } else { host = value }
            case "port":
                guard let port = Int(value), (1...65_535).contains(port) else { throw invalid("has port=\(value), not a port number") }
                self.port = port
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "application_name": applicationName = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else { throw invalid("has connect_timeout=\(value); give whole seconds above 0") }
                connectTimeout = .seconds(seconds)
            case "options":
                settings = try Self.settings(of: value).get(or: invalid("has options=\(value); give settings as -c name=value"))
            default:
                throw invalid("has the parameter \(item.name), which AgentGantry does not know (see PostgresStore's documentation)")
            }
        }
        self.database = database.isEmpty ? user : database
        if socketFolder != nil, sslMode == .require || sslMode == .verifyCA || sslMode == .verifyFull {
            throw invalid("asks for TLS (sslmode=\(sslMode.rawValue)) over a Unix socket, which carries no TLS")
        }
    }

    /// The `-c name=value` (or `--name=value`) settings of an `options` parameter; nil when malformed.
    private static func settings(of options: String) -> [(String, String)]? {
        var settings = [(String, String)](), words = options.split(separator: " ").map(String.init)[...]
        while let word = words.popFirst() {
            let setting: String
            if word == "-c", let next = words.popFirst() {
                setting = next
            } else if word.hasPrefix("-c") {
                setting = String(word.dropFirst(2))
            } else if word.hasPrefix("--") {
                setting = String(word.dropFirst(2))
            } else {
                return nil
            }
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else { return nil }
            settings.append((String(setting[..<equals]), String(setting[setting.index(after: equals)...])))
        }
        return settings
    }

    /// `text` with the password of its user information (or `password=` parameter) replaced by `***`.
    static func redact(_ text: String) -> String {
        guard var components = URLComponents(string: text) else { return "(a URL that does not parse)" }
        if components.password != nil { components.password = "***" }
        components.queryItems = components.queryItems?.map { $0.name == "password" ? URLQueryItem(name: "password", value: "***") : $0 }
        return components.string ?? "(a URL)"
    }

    /// The client configuration: TLS as `sslMode` says (libpq's meaning: `prefer` and `require`
    /// encrypt without checking the certificate, `verify-ca` checks it against the roots,
    /// `verify-full` the host name too).
    func clientConfiguration() throws(GantryError) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketFolder {
            configuration = PostgresClient.Configuration(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user,
                                                         password: password, database: database)
        } else {
            configuration = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                         tls: try tls())
        }
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", applicationName)] + settings
        return configuration
    }

    /// The configuration of one connection outside the pool, as the pool's connections are
    /// made (the store's reachability probe).
    func connectionConfiguration() throws(GantryError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketFolder {
            configuration = PostgresConnection.Configuration(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user,
                                                             password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            if let (settings, preferred) = try tlsSettings() {
                let context: NIOSSLContext
                do { context = try NIOSSLContext(configuration: settings) } catch {
                    throw .invalidInput("the store URL \(redacted) asks for TLS that cannot be set up: \(error)")
                }
                tls = preferred ? .prefer(context) : .require(context)
            } else {
                tls = .disable
            }
            configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database,
                                                             tls: tls)
        }
        configuration.options.connectTimeout = .seconds(connectTimeout.components.seconds)
        configuration.options.additionalStartupParameters = [("application_name", applicationName)] + settings
        return configuration
    }

    private func tls() throws(GantryError) -> PostgresClient.Configuration.TLS {
        guard let (settings, preferred) = try tlsSettings() else { return .disable }
        return preferred ? .prefer(settings) : .require(settings)
    }

    /// The TLS settings `sslmode` and `sslrootcert` ask for, and whether TLS is only preferred
    /// (allow, prefer); nil when it is disabled.
    private func tlsSettings() throws(GantryError) -> (TLSConfiguration, preferred: Bool)? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw .invalidInput("the store URL \(redacted) names sslrootcert=\(rootCertificate), which cannot be read")
            }
            tls.trustRoots = .file(rootCertificate)
        }
        return (tls, sslMode == .allow || sslMode == .prefer)
    }
}

private extension Optional {
    /// The value, or throws `error`.
    func get(or error: @autoclosure () -> GantryError) throws(GantryError) -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
