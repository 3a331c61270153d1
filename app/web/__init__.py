"""The web page for officials: server-rendered templates and a little JavaScript."""
