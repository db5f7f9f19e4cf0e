// Dynamic registration is done: tell the platform, which closes the registration frame or window
// (1EdTech LTI Dynamic Registration, "org.imsglobal.lti.close"). The button does it again by hand.
function closeRegistration() {
  (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
}
document.querySelectorAll("[data-lti-close]").forEach((button) => button.addEventListener("click", closeRegistration));
closeRegistration();
