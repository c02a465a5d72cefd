import CTraderAuth
import CTraderMessaging
import CTraderSession
import CTraderTransport
import Foundation

/// An error of the CLI itself: one line, and an exit code.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var exitCode: Int32
    var description: String { message }

    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: ExitStatus.usage) }
    static func runtime(_ message: String) -> CLIError { CLIError(message: message, exitCode: ExitStatus.runtime) }
}

/// The exit codes.
enum ExitStatus {
    static let success: Int32 = 0
    static let runtime: Int32 = 1
    static let usage: Int32 = 2
    static let authentication: Int32 = 3
    static let network: Int32 = 4
    /// A trading request was sent but its outcome is unknown (its answer was lost, Ctrl-C came
    /// after it was sent, or an accepted market order's fill was not seen): the CLI reconciled and
    /// printed the account's positions and orders.
    static let outcomeUnknown: Int32 = 5
    /// Ctrl-C (SIGINT) or SIGTERM ended a trading command before its trading request was sent:
    /// nothing was executed. (Once the request may have been sent, it is ``outcomeUnknown``.)
    static let interrupted: Int32 = 130

    /// The server error codes that mean the credentials, token or account are wrong.
    static let authenticationErrorCodes: Set<ErrorCode> = [
        .chClientAuthFailure, .chClientNotAuthenticated, .chAccessTokenInvalid, .oaAuthTokenExpired,
        .accountNotAuthorized, .chCtidTraderAccountNotFound, .cantRouteRequest, .alreadyLoggedIn,
    ]

    /// The exit code and the one-line message for an error.
    static func describe(_ error: any Error) -> (code: Int32, message: String) {
        switch error {
        case let error as CLIError:
            return (error.exitCode, error.message)
        case let error as CTraderError:
            return describe(error)
        case let error as CTraderOAuthError:
            return describe(error)
        case let error as TransportError:
            return (network, "network error: \(error)")
        default:
            return (runtime, "\(error)")
        }
    }

    static func describe(_ error: CTraderError) -> (code: Int32, message: String) {
        let oneLine = "\(error)".replacingOccurrences(of: "\n", with: " ")
        if error.code == .authenticationFailed
            || (error.errorCode.map { authenticationErrorCodes.contains($0) } ?? false)
                && error.code == .serverError
        {
            return (authentication, "authentication failed: \(error.errorCode?.rawValue ?? "") \(error.reason)".trimmed)
        }
        switch error.code {
        case .connectionFailed, .reconnectGaveUp, .connectionLost, .notConnected, .notSent:
            let cause = rootCause(of: error)
            return (network, "network error: \(cause ?? oneLine)")
        case .timeout:
            return (network, "timeout: \(oneLine)")
        case .outcomeUnknown:
            return (outcomeUnknown, "outcome unknown: \(oneLine)")
        case .orderError:
            return (runtime, "order rejected: \(error.errorCode?.rawValue ?? "") \(error.reason)".trimmed)
        case .serverError:
            return (runtime, "server error: \(error.errorCode?.rawValue ?? "") \(error.reason)".trimmed)
        default:
            return (runtime, oneLine)
        }
    }

    /// The innermost transport error's text, if any.
    private static func rootCause(of error: CTraderError) -> String? {
        var current: (any Error)? = error.underlying
        while let next = current {
            if let transport = next as? TransportError { return "\(transport)" }
            if let session = next as? CTraderError {
                current = session.underlying
                if current == nil { return session.reason }
            } else {
                return "\(next)"
            }
        }
        return error.reason.isEmpty ? nil : error.reason
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
