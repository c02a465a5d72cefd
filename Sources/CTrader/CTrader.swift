// The umbrella module: one import for an application.
@_exported public import CTraderMessaging
@_exported public import CTraderSession
@_exported public import CTraderSimulator
@_exported public import CTraderToolkit
