// swift-ctrader: the session's accounts as a plain value: subscriptions and what to restore.

import CTraderMessaging
import Testing

@testable import CTraderSession

private func spots(_ account: Int64, _ symbols: [Int64], timestamps: Bool = false) -> ProtoOASubscribeSpotsReq {
    var request = ProtoOASubscribeSpotsReq()
    request.ctidTraderAccountID = account
    request.symbolID = symbols
    if timestamps { request.subscribeToSpotTimestamp = true }
    return request
}

private func trendbar(
    _ account: Int64,
    _ symbol: Int64,
    _ period: ProtoOATrendbarPeriod
) -> ProtoOASubscribeLiveTrendbarReq {
    var request = ProtoOASubscribeLiveTrendbarReq()
    request.ctidTraderAccountID = account
    request.symbolID = symbol
    request.period = period
    return request
}

/// Accounts with account 7 authorized.
private func authorizedAccounts() -> SessionAccounts {
    var accounts = SessionAccounts()
    accounts.authorizing(7, accessToken: "access", refreshToken: "refresh")
    accounts.authorized(7)
    return accounts
}

@Suite(.timeLimit(.minutes(5))) struct SessionAccountsTests {
    @Test func anAccountIsRestorableOnlyOnceAuthorized() throws {
        var accounts = SessionAccounts()
        accounts.authorizing(7, accessToken: "access", refreshToken: nil)
        #expect(accounts.authorized.isEmpty)
        #expect(accounts.restorable.isEmpty)
        accounts.authorized(7)
        #expect(accounts.authorized == [7])
        #expect(accounts.restorable == [7])
        #expect(try #require(accounts[7]).accessToken == "access")
    }

    @Test func authorizingAgainKeepsTheRefreshTokenWhenNoneIsGiven() throws {
        var accounts = authorizedAccounts()
        accounts.authorizing(7, accessToken: "newer", refreshToken: nil)
        let account = try #require(accounts[7])
        #expect(account.accessToken == "newer")
        #expect(account.refreshToken == "refresh")
        #expect(account.isRestorable)
    }

    @Test func accountsRememberSubscriptionsAndListWhatToRestore() throws {
        var accounts = authorizedAccounts()
        accounts.recordSuccess(of: spots(7, [3, 1], timestamps: true))
        accounts.recordSuccess(of: spots(7, [2]))
        var unsubscribe = ProtoOAUnsubscribeSpotsReq()
        unsubscribe.ctidTraderAccountID = 7
        unsubscribe.symbolID = [3]
        accounts.recordSuccess(of: unsubscribe)
        var depth = ProtoOASubscribeDepthQuotesReq()
        depth.ctidTraderAccountID = 7
        depth.symbolID = [9]
        accounts.recordSuccess(of: depth)
        accounts.recordSuccess(of: trendbar(7, 5, .h1))
        accounts.recordSuccess(of: trendbar(7, 4, .m1))
        #expect(accounts.spotSubscriptions == [7: [1, 2]])

        let requests = accounts.restoreRequests(for: 7)
        #expect(
            requests.map { type(of: $0).messagePayloadType } == [
                .protoOaSubscribeSpotsReq, .protoOaSubscribeDepthQuotesReq,
                .protoOaSubscribeLiveTrendbarReq, .protoOaSubscribeLiveTrendbarReq,
            ]
        )
        let restoredSpots = try #require(requests[0] as? ProtoOASubscribeSpotsReq)
        #expect(restoredSpots.ctidTraderAccountID == 7)
        #expect(restoredSpots.symbolID == [1, 2])
        #expect(restoredSpots.subscribeToSpotTimestamp)
        #expect((requests[1] as? ProtoOASubscribeDepthQuotesReq)?.symbolID == [9])
        let restoredTrendbars = requests.compactMap { $0 as? ProtoOASubscribeLiveTrendbarReq }
        #expect(restoredTrendbars.map(\.symbolID) == [4, 5])
        #expect(restoredTrendbars.map(\.period) == [.m1, .h1])
    }

    @Test func subscriptionsOfUnknownAccountsAreNotRemembered() {
        var accounts = SessionAccounts()
        accounts.recordSuccess(of: spots(8, [1]))
        #expect(accounts.spotSubscriptions.isEmpty)
        #expect(accounts.restoreRequests(for: 8).isEmpty)
    }

    @Test func aLogoutForgetsTheAccount() {
        var accounts = authorizedAccounts()
        var logout = ProtoOAAccountLogoutReq()
        logout.ctidTraderAccountID = 7
        accounts.recordSuccess(of: logout)
        #expect(accounts[7] == nil)
        #expect(accounts.restorable.isEmpty)
    }

    @Test func aDropKeepsRestorableAccountsUnauthorizedAndForgetsTheOthers() {
        var accounts = authorizedAccounts()
        accounts.recordSuccess(of: spots(7, [1]))
        accounts.authorizing(8, accessToken: "pending", refreshToken: nil)
        accounts.connectionLost()
        #expect(accounts.authorized.isEmpty)
        #expect(accounts.restorable == [7])
        #expect(accounts[8] == nil)
        #expect(accounts.spotSubscriptions == [7: [1]])
    }

    @Test func serverEventsEndAnAccountsSessionButKeepTheAccount() {
        var accounts = authorizedAccounts()
        accounts.authorizing(8, accessToken: "other", refreshToken: nil)
        accounts.authorized(8)
        accounts.sessionEnded(7, tokenInvalidated: "2147")
        #expect(accounts.authorized == [8])
        #expect(accounts.restorable == [7, 8])
        #expect(accounts[7]?.tokenInvalidated == "2147")
        accounts.sessionEnded(8)
        #expect(accounts.authorized.isEmpty)
        #expect(accounts.restorable == [7, 8])
        // Authorized again, the account's subscriptions must be restored, once.
        let first = accounts.authorized(8)
        let second = accounts.authorized(8)
        #expect(first)
        #expect(!second)
    }

    @Test func reauthorizationsFallDueOnce() {
        var accounts = authorizedAccounts()
        accounts.scheduleReauthorization(7, at: .seconds(2))
        #expect(accounts.reauthorizationDeadlines == [.seconds(2)])
        let early = accounts.reauthorizationsDue(now: .seconds(1))
        let due = accounts.reauthorizationsDue(now: .seconds(2))
        let later = accounts.reauthorizationsDue(now: .seconds(3))
        #expect(early.isEmpty)
        #expect(due == [7])
        #expect(later.isEmpty)
        #expect(accounts[7]?.reauthorizeAttempts == 1)
    }

    @Test func refreshedTokensReplaceTheOldOnes() throws {
        var accounts = authorizedAccounts()
        let pair = CTraderTokenPair(ctidTraderAccountId: 7, accessToken: "a2", refreshToken: "r2", expiresIn: 60)
        accounts.tokensRefreshed(7, pair)
        let account = try #require(accounts[7])
        #expect(account.accessToken == "a2")
        #expect(account.refreshToken == "r2")
    }

    @Test func removeTellsWhetherTheAccountWasRestorable() {
        var accounts = authorizedAccounts()
        accounts.authorizing(8, accessToken: "other", refreshToken: nil)
        let authorized = accounts.remove(7)
        #expect(authorized?.isRestorable == true)
        let pending = accounts.remove(8)
        #expect(pending?.isRestorable == false)
        let unknown = accounts.remove(9)
        #expect(unknown == nil)
    }
}
