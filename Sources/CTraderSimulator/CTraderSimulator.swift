// The CTraderSimulator module: see Docs.docc/index.md. Its sources land with the issue that builds it.
