import CTraderTestSupport
import Testing

/// Tests that run peer processes or count the process's descriptors and threads: serialized, so
/// that one test's processes and sockets never disturb another's counts.
@Suite(.serialized, .timeLimit(.minutes(5))) struct ProcessTests {}
