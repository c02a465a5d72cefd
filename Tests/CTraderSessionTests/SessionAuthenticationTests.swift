// swift-ctrader: the authentication decisions, as pure functions.

import CTraderMessaging
import Testing

@testable import CTraderSession

private func serverError(_ code: ErrorCode) -> CTraderError {
    var error = CTraderError(code: .serverError, reason: "scripted \(code)")
    error.errorCode = code
    return error
}

@Suite(.timeLimit(.minutes(5))) struct SessionAuthenticationTests {
    @Test func theApplicationAuthCarriesTheCredentials() {
        let auth = SessionAuthentication.appAuthRequest(testCredentials)
        #expect(auth.clientID == testCredentials.clientId)
        #expect(auth.clientSecret == testCredentials.clientSecret.value)
    }

    @Test func wrongCredentialsArePermanentOtherErrorsAreNot() {
        #expect(SessionAuthentication.appAuthOutcome(error: nil) == .authenticated)
        guard
            case .refused(let refused) = SessionAuthentication.appAuthOutcome(
                error: serverError("CH_CLIENT_AUTH_FAILURE")
            )
        else {
            Issue.record("wrong credentials were not refused")
            return
        }
        #expect(refused.code == .authenticationFailed)
        #expect(refused.errorCode == "CH_CLIENT_AUTH_FAILURE")
        let other = serverError("SERVER_IS_UNDER_MAINTENANCE")
        #expect(SessionAuthentication.appAuthOutcome(error: other) == .failed(other))
    }

    @Test func anAccountIsAuthorizedOnSuccessAndWhenAlreadyLoggedIn() {
        let success = SessionAuthentication.accountAuthOutcome(
            account: 7,
            refreshed: false,
            refreshToken: nil,
            error: nil
        )
        #expect(success == .authorized)
        let already = SessionAuthentication.accountAuthOutcome(
            account: 7,
            refreshed: false,
            refreshToken: nil,
            error: serverError("ALREADY_LOGGED_IN")
        )
        #expect(already == .authorized)
    }

    @Test func anInvalidTokenIsRefreshedOnceWhenARefreshTokenIsKnown() throws {
        let invalid = serverError("CH_ACCESS_TOKEN_INVALID")
        let first = SessionAuthentication.accountAuthOutcome(
            account: 7,
            refreshed: false,
            refreshToken: "refresh",
            error: invalid
        )
        #expect(first == .refresh("refresh"))
        let again = SessionAuthentication.accountAuthOutcome(
            account: 7,
            refreshed: true,
            refreshToken: "refresh",
            error: invalid
        )
        guard case .failed(let error) = again else {
            Issue.record("a second invalid token was not a failure")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.ctidTraderAccountId == 7)
        let noRefreshToken = SessionAuthentication.accountAuthOutcome(
            account: 7,
            refreshed: false,
            refreshToken: nil,
            error: invalid
        )
        guard case .failed = noRefreshToken else {
            Issue.record("an invalid token without a refresh token was not a failure")
            return
        }
    }

    @Test func otherAccountErrorsFailAndNameTheAccount() {
        let outcome = SessionAuthentication.accountAuthOutcome(
            account: 8,
            refreshed: false,
            refreshToken: "refresh",
            error: serverError("CANT_ROUTE_REQUEST")
        )
        guard case .failed(let error) = outcome else {
            Issue.record("the error was not a failure")
            return
        }
        #expect(error.code == .serverError)
        #expect(error.ctidTraderAccountId == 8)
    }

    @Test func aRefreshGivesTheAccountsNewPair() {
        var res = ProtoOARefreshTokenRes()
        res.accessToken = "a2"
        res.refreshToken = "r2"
        res.expiresIn = 3600
        let outcome = SessionAuthentication.refreshOutcome(account: 7, envelope: Envelope(res), error: nil)
        let pair = CTraderTokenPair(ctidTraderAccountId: 7, accessToken: "a2", refreshToken: "r2", expiresIn: 3600)
        #expect(outcome == .refreshed(pair))
        #expect(SessionAuthentication.ownerRefreshTokens(Envelope(res))?.ctidTraderAccountId == nil)
        #expect(SessionAuthentication.ownerRefreshTokens(Envelope(ProtoOAVersionRes())) == nil)
    }

    @Test func aFailedRefreshIsAnAuthenticationFailure() {
        let refused = SessionAuthentication.refreshOutcome(
            account: 7,
            envelope: Envelope(ProtoOAErrorRes()),
            error: serverError("CH_ACCESS_TOKEN_INVALID")
        )
        guard case .failed(let error) = refused else {
            Issue.record("a refused refresh was not a failure")
            return
        }
        #expect(error.code == .authenticationFailed)
        #expect(error.errorCode == "CH_ACCESS_TOKEN_INVALID")
        #expect(error.ctidTraderAccountId == 7)
        let wrongAnswer = SessionAuthentication.refreshOutcome(
            account: 7,
            envelope: Envelope(ProtoOAVersionRes()),
            error: nil
        )
        guard case .failed(let missing) = wrongAnswer else {
            Issue.record("a wrong answer was not a failure")
            return
        }
        #expect(missing.code == .authenticationFailed)
        #expect(missing.reason == "no ProtoOARefreshTokenRes")
    }

    @Test func theAccountAuthAnswerNamesTheAccount() {
        let answer = SessionAuthentication.accountAuthorized(7)
        #expect(answer.message(as: ProtoOAAccountAuthRes.self)?.ctidTraderAccountID == 7)
        let request = SessionAuthentication.accountAuthRequest(account: 7, accessToken: "token")
        #expect(request.ctidTraderAccountID == 7)
        #expect(request.accessToken == "token")
        #expect(SessionAuthentication.refreshRequest("r").refreshToken == "r")
    }
}
