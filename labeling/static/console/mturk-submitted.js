// The page externalSubmit answers, shown in the task's frame: tell the console what happened
// (the answer recorded, or why it was not). The console checks the message came from its frame.
(function () {
  const node = document.getElementById("gw-mturk-result");
  const result = node ? JSON.parse(node.textContent) : {};
  if (result.type && window.parent !== window) window.parent.postMessage(result, "*");
})();
