"""Custom templates (docs/templates.md): a requester's own HTML for a labeling job's tasks,
rendered in a sandboxed frame of the worker console (``labeling.console.template_frames``).

``templates`` parses, checks and renders a template (``{{ task.input.* }}`` variables, always
escaped); ``job_fields`` checks the job fields that come with it (the template, the answer
schema of task type ``custom``, the hooks' URLs) when a job is created.
"""
