"""The web portal (server-rendered pages under ``/portal/``) for vendor admins and requester
admins. It shows jobs, so it lives in ``labeling`` (DESIGN.md "Parts").

- ``auth``: who may sign in, the organization a page is about, the forced password change;
- ``vendor_views`` / ``requester_views``: one module per side, thin over services and the
  ``access_*`` functions; ``invitation_views``: the page a private-team invitee opens;
- ``svg`` charts and ``csv`` downloads escape everything requester- or worker-controlled.
"""
