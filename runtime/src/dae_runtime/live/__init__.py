"""`dae live`: frames from a source (dae_runtime.sources) through the pipeline to its outputs.

pipeline: one frame -> digits found, noised, denoised, composed; session: the loop that runs it;
outputs: where composed frames go (window, video file, browser view); display: can a window open;
serve and frame_hub: the browser view and the newest frame each viewer gets.
"""
