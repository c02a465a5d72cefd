// swift-ctrader: tests of the message layer.

import Testing

@testable import CTraderMessaging

/// The named error codes, checked against the `.proto` files read at test time.
@Suite(.timeLimit(.minutes(5))) struct ErrorCodeTests {
    /// `TRADING_BAD_VOLUME` -> `tradingBadVolume`.
    static func camelCase(_ name: String) -> String {
        let words = name.lowercased().split(separator: "_")
        return String(words[0]) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    @Test func everyEnumValueHasItsNamedConstant() throws {
        let protos = try ProtoFiles.load()
        let names = ["ProtoErrorCode", "ProtoOAErrorCode"].flatMap { enumName in
            (protos.enums[enumName] ?? []).map(\.name)
        }
        #expect(protos.enums["ProtoErrorCode"]?.isEmpty == false)
        #expect(protos.enums["ProtoOAErrorCode"]?.isEmpty == false)
        #expect(Set(ErrorCode.allNamed.map(\.rawValue)) == Set(names))
        #expect(ErrorCode.allNamed.count == Set(names).count)
        for name in names {
            #expect(ErrorCode(rawValue: name).isNamed, "\(name)")
        }
        // The generated table pairs each constant (checked by the compiler) with its spelling.
        let spellings = Dictionary(uniqueKeysWithValues: ErrorCode.catalogue.map { ($0.0.rawValue, $0.1) })
        for name in names {
            #expect(spellings[name] == Self.camelCase(name), "\(name)")
        }
    }

    @Test func namedConstantsHaveTheProtoNames() {
        let samples: [(ErrorCode, String)] = [
            (.tradingBadVolume, "TRADING_BAD_VOLUME"),
            (.chClientAuthFailure, "CH_CLIENT_AUTH_FAILURE"),
            (.alreadyLoggedIn, "ALREADY_LOGGED_IN"),
            (.oaAuthTokenExpired, "OA_AUTH_TOKEN_EXPIRED"),
            (.requestFrequencyExceeded, "REQUEST_FREQUENCY_EXCEEDED"),
            (.blockedPayloadType, "BLOCKED_PAYLOAD_TYPE"),
            (.unknownError, "UNKNOWN_ERROR"),
            (.chCtidTraderAccountNotFound, "CH_CTID_TRADER_ACCOUNT_NOT_FOUND"),
            (.notSubscribedToPnl, "NOT_SUBSCRIBED_TO_PNL"),
        ]
        for (code, name) in samples {
            #expect(code.rawValue == name)
        }
    }

    @Test func unknownCodeRoundTripsAsItsRawString() {
        let code = ErrorCode(rawValue: "SOME_FUTURE_CODE")
        #expect(code.rawValue == "SOME_FUTURE_CODE")
        #expect(code.description == "SOME_FUTURE_CODE")
        #expect(!code.isNamed)
        #expect(ErrorCode(rawValue: code.rawValue) == code)
        let literal: ErrorCode = "SOME_FUTURE_CODE"
        #expect(literal == code)
        #expect(ErrorCode("SOME_FUTURE_CODE") == code)
        #expect(code != .unknownError)
    }

    @Test func literalsCompareWithNamedConstants() {
        let code: ErrorCode? = ErrorCode(rawValue: "ALREADY_LOGGED_IN")
        #expect(code == "ALREADY_LOGGED_IN")
        #expect(code == .alreadyLoggedIn)
        #expect(Set<ErrorCode>([.alreadyLoggedIn, "ALREADY_LOGGED_IN"]).count == 1)
    }
}
