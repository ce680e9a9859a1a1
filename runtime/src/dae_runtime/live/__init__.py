"""`dae live`: frames from a source (dae_runtime.sources) through the pipeline to its outputs.

pipeline: one frame -> digits found, noised, denoised, composed; session: the loop that runs it;
outputs: where composed frames go (window, video file, browser view); display: can a window open;
serve and frame_hub: the browser view and the newest frame each viewer gets.
"""

# The browser view's frames per second (`dae live --serve-fps`), of the frames' own time, on a schedule (12 of a 30 FPS
# camera's frames a second, every 2nd or 3rd). Each view's JPEG (824x480) costs about 7.7 M instructions on a Pi 4's
# Cortex-A72, half of what the seed model costs a frame: at 12 all of the loop but the model is 11.5 M a frame on it,
# within the 12 M budget, where 15 would take 12.3 M (benchmarks/README.md, 2026-12-07). Here, not in live.session,
# so that the command line's default imports nothing heavy.
SERVE_FPS = 12.0
