// The deep-linking answer goes back to the platform as a form post; the button stays for browsers without scripts.
document.querySelectorAll("form[data-autosubmit]").forEach((form) => form.submit());
