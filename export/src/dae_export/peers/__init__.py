"""ncnn and MNN, the engines Raspberry Pi users are told to pick, as export formats for comparison (issue 26):
the plain graph in their converters' form (nchw), the converters run as processes (peer_tools), ncnn's int8
made in Python (ncnn_int8), the conversions (ncnn_convert, mnn_convert) and the checks every peer model
passes (peer_checks). The steps are dae_export.steps.ncnn_peer and mnn_peer; the engines that run the
files, dae_export.engines.ncnn_engine and mnn_engine."""
