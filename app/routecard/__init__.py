"""The route card: where a request goes, in what language, by which channel, on what terms,
and whether anyone is there now."""
