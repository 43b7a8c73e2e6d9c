/* Progressive enhancement of the upload forms (the forms work without it): name and size of the
   chosen file or photo, an early warning for a file the server would refuse, and a busy button
   while a large photo is sent on a slow network. The server still checks everything. */
(function () {
  "use strict";
  var MAX = 10 * 1024 * 1024;
  var OK = /^(image\/(jpeg|png)|application\/pdf)$/;

  function size(n) {
    return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB";
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[enctype='multipart/form-data']"), function (form) {
    var input = form.querySelector("input[type=file]");
    var status = form.querySelector(".upload-status");
    var button = form.querySelector("button[type=submit]");
    if (!input || !status || !button) { return; }
    input.addEventListener("change", function () {
      var f = input.files && input.files[0];
      button.disabled = false;
      if (!f) { status.textContent = ""; return; }
      if (f.type && !OK.test(f.type)) {
        status.textContent = "“" + f.name + "”不是 JPG、PNG 或 PDF 文件，请重新选择或拍照。";
        button.disabled = true;
      } else if (f.size > MAX) {
        status.textContent = "“" + f.name + "”有 " + size(f.size) + "，超过 10 MB，请重新拍照或压缩后上传。";
        button.disabled = true;
      } else {
        status.textContent = "已选择：" + f.name + "（" + size(f.size) + "）";
      }
    });
    form.addEventListener("submit", function () {
      button.disabled = true;
      button.textContent = "正在上传，请稍候…";
    });
  });
})();
