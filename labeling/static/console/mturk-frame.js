// Inside an HTMLQuestion's sandboxed frame (labeling/console/mturk_frames.py): point the
// template's form at Groundwork's externalSubmit and fill its assignmentId, as MTurk's
// externalHIT_v1.js would. A classic script: the frame has no origin of its own.
(function () {
  const me = document.currentScript;
  const submitTo = me.dataset.submitTo;
  const assignmentId = me.dataset.assignmentId;
  function wire() {
    for (const form of document.forms) {
      const action = form.getAttribute("action") || "";
      if (action && !/\/mturk\/externalSubmit\/?$/.test(action)) continue;  // the template's own form elsewhere
      form.action = submitTo;
      form.method = "post";
      let field = form.querySelector("input[name=assignmentId]");
      if (!field) {
        field = document.createElement("input");
        field.type = "hidden";
        field.name = "assignmentId";
        form.appendChild(field);
      }
      field.value = assignmentId;
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
