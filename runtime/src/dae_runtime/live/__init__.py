"""`dae live`: frames from a source (dae_runtime.sources) through the pipeline to its outputs.

pipeline: one frame -> digits found, noised, denoised, composed; session: the loop that runs it;
outputs: where composed frames go (window, video file, browser view); display: can a window open;
serve and frame_hub: the browser view and the newest frame each viewer gets.
"""

# The browser view's frames per second (`dae live --serve-fps`), of the frames' own time. 15, not a camera's 30: each
# view's JPEG (824x480) costs about 7 M instructions on a Pi 4's Cortex-A72, half of what the seed model costs a
# frame; at 10 all of the loop but the model is within 12 M (benchmarks/README.md, 2026-12-07). Here, not in
# live.session, so that the command line's default imports nothing heavy.
SERVE_FPS = 15.0
